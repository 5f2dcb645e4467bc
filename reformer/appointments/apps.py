from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "reformer.appointments"
    label = "appointments"
