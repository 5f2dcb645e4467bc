from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks (Standard Webhooks): endpoints, signed deliveries, retries."""

    name = "reformer.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from reformer.webhooks import events

        events.connect()
