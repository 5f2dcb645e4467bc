"""Appointment places held while the client pays are freed when the hold runs out, even if
Stripe's `checkout.session.expired` webhook never arrives (endpoint down, secret rotated,
event lost): the periodic job `payments.release_expired_holds` sweeps them every minute.

The sweep and the webhook end in the same guarded step (`grant.mark_unpaid`: only a
pending payment changes, under its row lock), so whichever comes first frees the place and
the other changes nothing. Before freeing, the sweep asks Stripe how the session stands,
outside any transaction:

- paid: the money beat the sweep; the place is confirmed as the webhook would have;
- complete but not paid yet (a bank debit settling): left held; Stripe's async success or
  failure event decides;
- open (Stripe has not expired it yet): expired there first (keyed), so it can no longer be
  paid, then freed; if it was paid in between, it is confirmed instead;
- expired, or Stripe cannot be asked: freed.

A payment that still completes after its place was freed is kept as paid and refunded in
full (`grant._confirm_appointment`), never placed: the slot may have been booked since.
"""

from __future__ import annotations

import datetime as dt
import logging

import stripe
from django.utils import timezone

from reformer.appointments.models import Attendee
from reformer.billing.models import Payment
from reformer.integrations.stripe.client import ProviderError
from reformer.payments.actions import checkout, grant
from reformer.payments.actions.accounts import stripe_account_of

logger = logging.getLogger(__name__)

HOLD_EXPIRED = (
    "The time was held for 30 minutes while you paid and has been released: nothing was "
    "charged. Pick a time again to book."
)


def release_expired_holds(now: dt.datetime | None = None) -> int:
    """Free every held place past its hold; the number freed. Safe to run twice and
    alongside the webhook."""
    now = now or timezone.now()
    due = list(
        Attendee.objects.filter(
            status=Attendee.Status.HELD, held_until__lte=now, payment__isnull=False
        )
        .order_by("held_until", "pk")
        .values_list("payment_id", flat=True)
    )
    freed = 0
    for payment_id in due:
        assert payment_id is not None  # filtered above
        if settle_expired_hold(payment_id):
            freed += 1
    return freed


def settle_expired_hold(payment_id: int) -> bool:
    """One expired hold: confirmed if Stripe says paid, otherwise freed. True if this call
    freed it."""
    payment = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).first()
    if payment is None:
        return False  # the webhook, the return page or a payment settled it first
    account = stripe_account_of(payment.organization_id)
    if account is not None and payment.provider_id:
        session = _session(account, payment)
        if session is not None:
            if session.get("payment_status") == "paid":
                checkout.apply_completed_session(payment, session)
                return False
            if session.get("status") == "complete":
                return False  # paid by a method that settles later: Stripe's event decides
            if session.get("status") == "open":
                try:
                    checkout.expire_session(account, payment)
                except stripe.InvalidRequestError:
                    # No longer open: paid (or expired) between our two calls.
                    session = _session(account, payment)
                    if session is not None and session.get("payment_status") == "paid":
                        checkout.apply_completed_session(payment, session)
                        return False
                except stripe.StripeError as exc:
                    logger.warning("could not expire session of payment %s: %s", payment.pk, exc)
    return grant.mark_unpaid(payment.pk, status=Payment.Status.CANCELLED, reason=HOLD_EXPIRED)


def _session(account, payment: Payment) -> dict | None:
    """The session as Stripe has it now; None if Stripe cannot be asked (the hold is past
    its time, so it is freed anyway: a payment that still lands is refunded)."""
    try:
        return checkout.retrieve_session(account, payment.provider_id or "")
    except ProviderError as exc:
        logger.warning("could not read session of payment %s: %s", payment.pk, exc.message)
        return None
