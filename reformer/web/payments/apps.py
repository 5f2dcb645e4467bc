from django.apps import AppConfig


class PaymentsWebConfig(AppConfig):
    """Buying, payment history, receipts, the desk's point of sale, refunds, Stripe settings:
    an app so its templates and static files are found."""

    name = "reformer.web.payments"
    label = "web_payments"
