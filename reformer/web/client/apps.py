from django.apps import AppConfig


class ClientWebConfig(AppConfig):
    """The client's pages (browse, book, dashboard): an app so its templates and static
    files are found. Live renderers (live.py) are imported by web.live_render itself."""

    name = "reformer.web.client"
    label = "web_client"
