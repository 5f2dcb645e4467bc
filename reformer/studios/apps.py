from django.apps import AppConfig


class StudiosConfig(AppConfig):
    name = "reformer.studios"
    label = "studios"
