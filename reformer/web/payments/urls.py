"""Payment pages (namespace "payments"), mounted at the site root before the client area:

/shop/...             buying (clients)          /payments/...   history, receipts (members)
/staff/payments/...   back office (staff)       /webhooks/stripe/<token>/   Stripe events
"""

from __future__ import annotations

from django.urls import path

from reformer.core.permissions import VIEW_PAYMENTS
from reformer.web import navigation
from reformer.web.payments import client_views, receipts, staff_views, webhook

app_name = "payments"

navigation.register(navigation.CLIENT, "Buy classes", "payments:shop", order=15)
navigation.register(navigation.CLIENT, "Payments", "payments:history", order=25)
navigation.register(
    navigation.STAFF, "Payments", "payments:studio_payments", order=60, capability=VIEW_PAYMENTS
)

urlpatterns = [
    path("shop/", client_views.shop, name="shop"),
    path("shop/<int:product_id>/buy/", client_views.buy, name="buy"),
    path("shop/return/<int:pk>/", client_views.checkout_return, name="checkout_return"),
    path(
        "shop/return/<int:pk>/cancelled/",
        client_views.checkout_cancelled,
        name="checkout_cancelled",
    ),
    path("payments/", client_views.history, name="history"),
    path("payments/card/", client_views.portal, name="portal"),
    path(
        "payments/memberships/<int:pk>/cancel/",
        client_views.cancel_my_membership,
        name="cancel_my_membership",
    ),
    path("payments/<int:pk>/receipt/", receipts.receipt, name="receipt"),
    path("payments/<int:pk>/receipt.pdf", receipts.receipt_pdf, name="receipt_pdf"),
    path("staff/payments/", staff_views.studio_payments, name="studio_payments"),
    path("staff/payments/sell/", staff_views.sell, name="sell"),
    path("staff/payments/settings/", staff_views.settings_page, name="settings"),
    path("staff/payments/settings/disconnect/", staff_views.disconnect, name="disconnect"),
    path(
        "staff/payments/settings/fees/<int:studio_id>/",
        staff_views.fee_policy,
        name="fee_policy",
    ),
    path("staff/payments/<int:pk>/", staff_views.payment_detail, name="payment"),
    path("staff/payments/clients/<int:pk>/", staff_views.client_payments, name="client"),
    path(
        "staff/payments/memberships/<int:pk>/<str:action>/",
        staff_views.membership_action,
        name="membership_action",
    ),
    path("webhooks/stripe/<str:token>/", webhook.stripe_webhook, name="stripe_webhook"),
]
