from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "reformer.web"
    label = "web"
