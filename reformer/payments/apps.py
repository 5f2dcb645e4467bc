from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "reformer.payments"
    label = "payments"
    verbose_name = "Payments"
