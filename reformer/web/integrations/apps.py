from django.apps import AppConfig


class IntegrationsWebConfig(AppConfig):
    """Owner pages for API keys, webhooks, export and import; a client's own data."""

    name = "reformer.web.integrations"
    label = "web_integrations"
