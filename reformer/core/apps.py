from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "reformer.core"
    label = "core"
