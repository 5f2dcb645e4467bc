"""Intro offers: products only first-timers may buy, once.

THE rule, in one place, for every way a package is sold or granted:

- `intro_offer_refusal(client, product)`: a read, for showing the rule before purchase
  (and for a checkout, #11, to refuse before taking money);
- `enforce_intro_offer_rule(client, product, package)`: call it inside the transaction that
  creates the package (billing.actions.grant_package does; a Stripe checkout's fulfilment
  must too). It locks the client's membership row, so two purchases at once queue here,
  re-checks, and records the redemption, whose unique client is the database's backstop.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.core.errors import DomainError
from reformer.onboarding.errors import (
    INTRO_ALREADY_USED,
    INTRO_NOT_FIRST_TIME,
)
from reformer.onboarding.models import IntroOffer, IntroRedemption

RULE_TEXT = (
    "For first-timers: one per person, only before your first class, appointment or purchase."
)

_HISTORY_SQL = """
SELECT EXISTS (SELECT 1 FROM billing_clientpackage
                WHERE client_id = %(client)s AND id <> %(package)s),
       EXISTS (SELECT 1 FROM bookings_booking WHERE client_id = %(client)s),
       EXISTS (SELECT 1 FROM appointments_attendee WHERE client_id = %(client)s),
       EXISTS (SELECT 1 FROM onboarding_introredemption WHERE client_id = %(client)s)
"""


def is_intro_offer(product: PackageProduct) -> bool:
    return IntroOffer.objects.filter(product_id=product.pk, active=True).exists()


def intro_offer_refusal(
    client: Membership, product: PackageProduct, *, package_id: int = 0
) -> DomainError | None:
    """Why this client may not have this intro offer, or None (also None for a product that
    is no intro offer)."""
    if not is_intro_offer(product):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL, {"client": client.pk, "package": package_id})
        bought, booked, appointed, redeemed = cursor.fetchone()
    if redeemed:
        return DomainError(
            INTRO_ALREADY_USED,
            f"{product.name} is for first-timers and can be bought once; you have had it "
            "already. Have a look at our class packs.",
            field="product",
        )
    if bought or booked or appointed:
        return DomainError(
            INTRO_NOT_FIRST_TIME,
            f"{product.name} is for first-timers only: it can't be bought after a first "
            "class, appointment or purchase. Have a look at our class packs.",
            field="product",
        )
    return None


def enforce_intro_offer_rule(
    client: Membership, product: PackageProduct, package: ClientPackage
) -> None:
    """Inside the sale's transaction, after creating `package`: refuse (DomainError, the
    caller's transaction rolls back) or record the redemption."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enforce_intro_offer_rule must run inside the sale's transaction")
    if not is_intro_offer(product):
        return
    Membership.objects.select_for_update().filter(pk=client.pk).first()
    refusal = intro_offer_refusal(client, product, package_id=package.pk)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            IntroRedemption.objects.create(
                organization_id=client.organization_id,
                client=client,
                product=product,
                client_package=package,
                redeemed_at=timezone.now(),
            )
    except IntegrityError:
        raise intro_offer_refusal(client, product, package_id=package.pk) or DomainError(
            INTRO_ALREADY_USED, f"{product.name} can be bought once per client."
        ) from None
