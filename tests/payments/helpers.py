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
