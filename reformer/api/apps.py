from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The public JSON API: organization keys, idempotent writes, per-key rate limits."""

    name = "reformer.api"
    label = "api"
