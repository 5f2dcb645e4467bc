from django.apps import AppConfig


class PortabilityConfig(AppConfig):
    """The studio's data is its own: full export, personal data, imports."""

    name = "reformer.portability"
    label = "portability"
