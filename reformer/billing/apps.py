from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "reformer.billing"
    label = "billing"
