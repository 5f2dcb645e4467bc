"""The front desk's point of sale: a package or membership period sold at the studio for
cash, on a card terminal outside the product, or given complimentary, with a receipt."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import PackageProduct, Payment
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.money import quantize
from reformer.core.permissions import SELL_AT_DESK, is_client, require, require_same_organization
from reformer.onboarding.intro import intro_offer_refusal
from reformer.payments import audit_codes
from reformer.payments.actions import grant
from reformer.studios.models import Studio

DESK_METHODS = (Payment.Method.CASH, Payment.Method.TERMINAL, Payment.Method.COMPLIMENTARY)


def sell_at_desk(
    actor: Membership,
    *,
    client: Membership,
    product: PackageProduct,
    studio: Studio,
    method: str,
    amount: Decimal | str | None = None,
    note: str = "",
) -> Payment:
    """Record the sale and grant the package in one transaction. `amount` defaults to the
    product's price (a discount may lower it); complimentary is always 0."""
    require_same_organization(actor, client, "client")
    require_same_organization(actor, product, "package")
    require(actor, SELL_AT_DESK, studio=studio)
    if not is_client(client) or not client.active:
        raise DomainError("validation", "Sell packages to clients only.", field="client")
    if not product.active:
        raise DomainError("validation", f"{product.name} is no longer for sale.", field="product")
    if method not in DESK_METHODS:
        raise DomainError(
            "validation", "Choose cash, card terminal or complimentary.", field="method"
        )
    if method == Payment.Method.COMPLIMENTARY:
        price = Decimal("0.00")
    elif amount is None or amount == "":
        price = product.price
    else:
        try:
            price = quantize(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise DomainError(
                "validation", "Enter an amount like 120.00.", field="amount"
            ) from None
        if price < 0 or price > product.price:
            raise DomainError(
                "validation",
                "The amount must be between 0 and the product's price.",
                field="amount",
            )
    if (refusal := intro_offer_refusal(client, product)) is not None:
        raise refusal  # said before any money changes hands
    now = timezone.now()
    with transaction.atomic():
        payment = Payment.objects.create(
            organization_id=actor.organization_id,
            studio=studio,
            client=client,
            product=product,
            kind=Payment.Kind.PACKAGE,
            method=method,
            provider="desk",
            amount=price,
            currency=product.currency,
            recorded_by=actor.user,
            note=note.strip()[:200],
            created_at=now,
        )
        audit.record(
            actor,
            audit_codes.PAYMENTS_DESK_SOLD,
            payment,
            client=client,
            product=product,
            method=method,
            amount=price,
        )
        # First-timer offers are enforced by mark_paid under the client's lock.
        grant.mark_paid(payment.pk)
        payment.refresh_from_db()
    return payment
