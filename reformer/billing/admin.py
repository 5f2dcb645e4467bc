from django.contrib import admin

from reformer.billing.models import (
    ClientPackage,
    CreditLedger,
    PackageProduct,
    Payment,
    Subscription,
    WebhookEvent,
)


@admin.register(PackageProduct)
class PackageProductAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "kind", "credits", "price", "currency", "active"]
    list_filter = ["organization", "kind", "active"]


@admin.register(ClientPackage)
class ClientPackageAdmin(admin.ModelAdmin):
    list_display = ["client", "product", "credits_remaining", "credits_total", "expires_at"]
    list_filter = ["organization", "status", "source"]
    raw_id_fields = ["client"]


@admin.register(CreditLedger)
class CreditLedgerAdmin(admin.ModelAdmin):
    """Append-only: support may read it, never edit it."""

    list_display = ["client_package", "booking", "delta", "reason", "at"]
    list_filter = ["organization", "reason"]
    raw_id_fields = ["client_package", "booking", "actor"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["client", "amount", "currency", "status", "provider_id", "created_at"]
    list_filter = ["organization", "status"]
    raw_id_fields = ["client", "client_package"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["client", "product", "status", "current_period_end"]
    list_filter = ["organization", "status"]
    raw_id_fields = ["client"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["provider", "event_id", "kind", "received_at", "processed_at"]
    list_filter = ["provider", "kind"]
