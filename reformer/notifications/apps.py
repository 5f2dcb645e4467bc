from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "reformer.notifications"
    label = "notifications"
