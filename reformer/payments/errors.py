"""The payment refusals: stable `DomainError.code` values, and the HTTP status each is
answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422).

Raise them as `DomainError(CODE, message)`; compare `error.code` with these names only."""

from __future__ import annotations

ALREADY_SUBSCRIBED = "payments.already_subscribed"
BAD_WEBHOOK = "payments.bad_webhook"
CREDITS_USED = "payments.credits_used"
FREE_PRODUCT = "payments.free_product"
KEYS_UNREADABLE = "payments.keys_unreadable"
NOT_ACTIVE = "payments.not_active"
NOT_ONLINE = "payments.not_online"
NOT_REFUNDABLE = "payments.not_refundable"
NO_CUSTOMER = "payments.no_customer"
PRODUCT_UNAVAILABLE = "payments.product_unavailable"
PROVIDER = "payments.provider"
TOO_MANY_CHECKOUTS = "payments.too_many_checkouts"

HTTP_STATUS: dict[str, int] = {}
