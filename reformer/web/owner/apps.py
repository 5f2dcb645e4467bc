from django.apps import AppConfig


class OwnerWebConfig(AppConfig):
    """The owner's dashboard: an app so its templates and static files are found."""

    name = "reformer.web.owner"
    label = "web_owner"
