"""Package product actions: what clients can buy (create, update, deactivate).

Owners only (MANAGE_BILLING): prices and what a pack is worth are billing settings.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from reformer.accounts.models import Membership
from reformer.billing.audit_codes import (
    BILLING_PRODUCT_CREATED,
    BILLING_PRODUCT_DEACTIVATED,
    BILLING_PRODUCT_REACTIVATED,
    BILLING_PRODUCT_UPDATED,
)
from reformer.billing.models import PackageProduct
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.money import SYMBOLS, quantize
from reformer.core.parsing import MAX_ID, to_int
from reformer.core.permissions import MANAGE_BILLING, require, require_same_organization

MAX_PRICE = Decimal("99999999.99")
# Bounds a studio never needs to exceed; beyond them a typo, not a product (and beyond 2^31 a
# database error).
MAX_CREDITS = 1000
MAX_VALIDITY_DAYS = 3660
MAX_WEEKLY_LIMIT = 50


def _validated(
    actor: Membership,
    *,
    name: str,
    kind: str,
    credits: int | None,
    validity_days: int,
    price: Decimal | str | int,
    currency: str,
    weekly_limit: int | None,
    description: str,
    exclude_pk: int | None = None,
) -> dict[str, Any]:
    name = (name or "").strip()
    if not name:
        raise DomainError(VALIDATION, "Give the product a name.", field="name")
    if len(name) > 120:
        raise DomainError(VALIDATION, "Keep the name under 120 characters.", field="name")
    clash = PackageProduct.objects.filter(
        organization_id=actor.organization_id, name__iexact=name, active=True
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(VALIDATION, f"A product called “{name}” already exists.", field="name")
    if kind not in PackageProduct.Kind.values:
        raise DomainError(VALIDATION, "Choose the kind of product.", field="kind")
    if kind == PackageProduct.Kind.MEMBERSHIP and credits is None:
        # "Leave empty for unlimited" (the form's help): an unlimited membership is the
        # Unlimited kind, the one way unlimited is represented (no credits; renews monthly
        # like a membership; booking spends nothing from it).
        kind = PackageProduct.Kind.UNLIMITED
    if kind == PackageProduct.Kind.UNLIMITED:
        credits = None
    elif (credits := to_int(credits, minimum=1, maximum=MAX_ID)) is None:
        raise DomainError(
            VALIDATION,
            "A class pack needs at least 1 credit."
            if kind == PackageProduct.Kind.CLASS_PACK
            else "A membership needs at least 1 credit a month, or leave it empty for unlimited.",
            field="credits",
        )
    elif credits > MAX_CREDITS:
        raise DomainError(
            VALIDATION, f"A package holds at most {MAX_CREDITS} credits.", field="credits"
        )
    if to_int(validity_days, minimum=1, maximum=MAX_VALIDITY_DAYS) is None:
        raise DomainError(
            VALIDATION,
            f"Validity must be 1 to {MAX_VALIDITY_DAYS} days.",
            field="validity_days",
        )
    try:
        amount = quantize(price)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(VALIDATION, "Enter a price like 120.00.", field="price") from None
    if amount < 0 or amount > MAX_PRICE:
        raise DomainError(VALIDATION, "Enter a price of 0 or more.", field="price")
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise DomainError(VALIDATION, "Use a 3-letter currency code such as USD.", field="currency")
    if (
        weekly_limit is not None
        and to_int(weekly_limit, minimum=1, maximum=MAX_WEEKLY_LIMIT) is None
    ):
        raise DomainError(
            VALIDATION,
            f"A weekly limit must be 1 to {MAX_WEEKLY_LIMIT} (or leave it empty).",
            field="weekly_limit",
        )
    return {
        "name": name,
        "kind": kind,
        "credits": credits,
        "validity_days": validity_days,
        "price": amount,
        "currency": currency,
        "weekly_limit": weekly_limit,
        "description": (description or "").strip(),
    }


def create_package_product(
    actor: Membership,
    *,
    name: str,
    kind: str,
    credits: int | None,
    validity_days: int,
    price: Decimal | str | int,
    currency: str = "USD",
    weekly_limit: int | None = None,
    description: str = "",
) -> PackageProduct:
    require(actor, MANAGE_BILLING)
    fields = _validated(
        actor,
        name=name,
        kind=kind,
        credits=credits,
        validity_days=validity_days,
        price=price,
        currency=currency,
        weekly_limit=weekly_limit,
        description=description,
    )
    with transaction.atomic(durable=True):
        product = PackageProduct.objects.create(organization_id=actor.organization_id, **fields)
        audit.record(actor, BILLING_PRODUCT_CREATED, product, **fields)
    return product


def update_package_product(
    actor: Membership,
    product: PackageProduct,
    *,
    name: str,
    kind: str,
    credits: int | None,
    validity_days: int,
    price: Decimal | str | int,
    currency: str = "USD",
    weekly_limit: int | None = None,
    description: str = "",
) -> PackageProduct:
    """Change a product. Packages already sold keep the terms they were sold with."""
    require_same_organization(actor, product, "product")
    require(actor, MANAGE_BILLING)
    fields = _validated(
        actor,
        name=name,
        kind=kind,
        credits=credits,
        validity_days=validity_days,
        price=price,
        currency=currency,
        weekly_limit=weekly_limit,
        description=description,
        exclude_pk=product.pk,
    )
    with transaction.atomic(durable=True):
        product = PackageProduct.objects.select_for_update().get(pk=product.pk)
        changed = {k: v for k, v in fields.items() if getattr(product, k) != v}
        for key, value in fields.items():
            setattr(product, key, value)
        product.save()
        audit.record(actor, BILLING_PRODUCT_UPDATED, product, **changed)
    return product


def set_package_product_active(
    actor: Membership, product: PackageProduct, *, active: bool
) -> PackageProduct:
    """Withdraw a product from sale (or offer it again). Sold packages are unaffected."""
    require_same_organization(actor, product, "product")
    require(actor, MANAGE_BILLING)
    with transaction.atomic(durable=True):
        product = PackageProduct.objects.select_for_update().get(pk=product.pk)
        if product.active == active:
            return product
        if (
            active
            and PackageProduct.objects.filter(
                organization_id=product.organization_id, name__iexact=product.name, active=True
            ).exists()
        ):
            raise DomainError(
                VALIDATION, f"Another product called “{product.name}” is already on sale."
            )
        product.active = active
        product.save(update_fields=["active"])
        audit.record(
            actor,
            BILLING_PRODUCT_REACTIVATED if active else BILLING_PRODUCT_DEACTIVATED,
            product,
        )
    return product


CURRENCIES = tuple(SYMBOLS)
