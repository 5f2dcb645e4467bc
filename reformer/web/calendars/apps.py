from django.apps import AppConfig


class CalendarsWebConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reformer.web.calendars"
    label = "web_calendars"
