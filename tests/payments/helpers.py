"""Buying through the fake's hosted page, as the browser would."""

from __future__ import annotations

from urllib.parse import urlsplit

from reformer.payments.actions import checkout

RETURN = "http://testserver/shop/return/{payment}/"
CANCEL = "http://testserver/shop/return/{payment}/cancelled/"


def start(shop, client, product=None, studio=None):
    return checkout.start_checkout(
        client,
        product=product or shop.pack,
        studio=studio or shop.tenant.studio,
        return_url=RETURN,
        cancel_url=CANCEL,
    )


def pay(shop, url: str, card: str = "4242 4242 4242 4242"):
    """Submit the fake checkout page: (redirect path, decline message)."""
    session_id = urlsplit(url).path.rsplit("/", 1)[1]
    redirect, error = shop.fake.pay(session_id, card)
    return redirect, error


def start_private(shop, kind, client, hour=10):
    """A client starts paying for a private of `kind` at `hour` tomorrow (the slot is held)."""
    from reformer.payments.actions import appointments as paying
    from tests.appointments import helpers as appointments

    return paying.start_appointment_checkout(
        client,
        kind,
        studio=shop.tenant.studio,
        instructor=shop.tenant.instructor,
        starts_at=appointments.at(shop.tenant, hour=hour),
        return_url=RETURN,
        cancel_url=CANCEL,
    )
