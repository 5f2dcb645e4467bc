from django.apps import AppConfig


class ProfileWebConfig(AppConfig):
    """Everyone's profile page: an app so its templates and static files are found."""

    name = "reformer.web.profile"
    label = "web_profile"
