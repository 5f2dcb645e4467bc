from django.apps import AppConfig


class MessagingWebConfig(AppConfig):
    """Messages in the web: the staff message log, the owner's messaging settings, a
    client's text-message opt-in, the one-click reminder cancel link, provider webhooks."""

    name = "reformer.web.messaging"
    label = "web_messaging"
