from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "reformer.analytics"
    label = "analytics"
