from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "reformer.scheduling"
    label = "scheduling"
