"""Admin views of payment data. Stripe keys are never shown: only their last characters."""

from django.contrib import admin

from reformer.payments.models import Refund, StripeAccount, StripeCustomer, StudioFeePolicy


@admin.register(StripeAccount)
class StripeAccountAdmin(admin.ModelAdmin):
    list_display = ["organization", "mode", "account_name", "secret_key_last4", "updated_at"]
    fields = ("organization", "mode", "account_name", "secret_key_last4", "webhook_secret_last4")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # keys are entered (and checked against Stripe) in the product


@admin.register(StripeCustomer)
class StripeCustomerAdmin(admin.ModelAdmin):
    list_display = ["client", "customer_id", "card_label"]
    raw_id_fields = ["client"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["payment", "amount", "credits_removed", "actor", "created_at"]
    raw_id_fields = ["payment"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StudioFeePolicy)
class StudioFeePolicyAdmin(admin.ModelAdmin):
    list_display = ["studio", "late_cancel_fee", "no_show_fee", "currency"]
