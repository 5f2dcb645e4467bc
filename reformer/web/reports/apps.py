from django.apps import AppConfig


class ReportsWebConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reformer.web.reports"
    label = "web_reports"
