from django.apps import AppConfig


class StaffWebConfig(AppConfig):
    """The staff back office (setup, schedule, team, instructor and check-in pages): an app
    so its templates and static files are found. Live renderers (live.py) are imported by
    web.live_render itself."""

    name = "reformer.web.staff"
    label = "web_staff"
