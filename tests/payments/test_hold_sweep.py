"""Held appointment places are freed when their checkout runs out, even if Stripe's
checkout.session.expired webhook never comes (the periodic sweep), and the sweep and the
webhook never both act: whichever comes first frees the place, the other changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.appointments.models import Attendee
from reformer.billing.models import Payment
from reformer.bookings.integrity import check_integrity
from reformer.core.models import AuditEvent
from reformer.payments import jobs
from reformer.payments.actions import holds
from tests.bookings.helpers import make_client
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS, deliver_all, process_events

pytestmark = pytest.mark.django_db


start = helpers.start_private


def run_out(place) -> None:
    """The hold's time passes (as if the client walked away from the checkout)."""
    Attendee.objects.filter(pk=place.pk).update(held_until=timezone.now() - dt.timedelta(seconds=1))


def releases(place) -> int:
    return AuditEvent.objects.filter(
        code="appointments.place.released", subject_id=place.pk
    ).count()


def session_of(shop, place) -> dict:
    _account, session = shop.fake.find(Payment.objects.get(pk=place.payment_id).provider_id)
    return session


def test_the_hold_ends_when_the_checkout_does(shop, priced):
    place, _url = start(shop, priced, shop.tenant.client)
    place.refresh_from_db()
    session = session_of(shop, place)
    assert place.held_until == dt.datetime.fromtimestamp(session["expires_at"], tz=dt.UTC)
    assert dt.timedelta(minutes=29) < place.held_until - timezone.now() <= dt.timedelta(minutes=30)


def test_the_sweep_frees_a_hold_whose_webhook_never_came(shop, priced):
    client = shop.tenant.client
    place, _url = start(shop, priced, client)
    waiting, _url = start(shop, priced, client, hour=14)  # still within its 30 minutes
    run_out(place)
    assert holds.release_expired_holds() == 1
    place.refresh_from_db()
    assert place.status == "cancelled" and place.appointment.status == "cancelled"
    payment = Payment.objects.get(pk=place.payment_id)
    assert payment.status == "cancelled" and payment.failure_reason == holds.HOLD_EXPIRED
    # Closed at Stripe too, with our key, so nobody can pay it any more.
    assert session_of(shop, place)["status"] == "expired"
    (expire,) = shop.fake.requests_to("POST", f"/v1/checkout/sessions/{payment.provider_id}/")
    assert expire.idempotency_key == f"expire-{payment.pk}"
    assert Attendee.objects.get(pk=waiting.pk).status == "held"
    # The slot is open again.
    again, _url = start(shop, priced, make_client(shop.tenant, "Other"))
    assert again.status == "held"
    # Stripe's expired webhook arrives after all: nothing changes.
    deliver_all(shop, ("checkout.session.expired",))
    assert process_events() == ["applied"]
    assert releases(place) == 1 and holds.release_expired_holds() == 0
    assert check_integrity().ok


def test_the_webhook_first_leaves_the_sweep_nothing(shop, priced):
    place, _url = start(shop, priced, shop.tenant.client)
    session_id = Payment.objects.get(pk=place.payment_id).provider_id
    shop.fake.handle_api(
        "POST", f"/v1/checkout/sessions/{session_id}/expire", SECRET_KEYS["alpha"], {}
    )
    deliver_all(shop, ("checkout.session.expired",))
    process_events()
    run_out(place)
    assert holds.release_expired_holds() == 0
    assert releases(place) == 1
    assert Attendee.objects.get(pk=place.pk).status == "cancelled"


def test_money_that_beat_the_sweep_confirms_the_place(shop, priced):
    place, url = start(shop, priced, shop.tenant.client)
    helpers.pay(shop, url)  # paid at Stripe; the webhook is lost
    run_out(place)
    assert holds.release_expired_holds() == 0
    place.refresh_from_db()
    assert place.status == "confirmed"
    assert Payment.objects.get(pk=place.payment_id).status == "succeeded"
    assert not ProcrastinateJob.objects.filter(task_name="payments.refund_automatically")


def test_a_payment_still_settling_keeps_its_hold(shop, priced):
    shop.fake.settle_later = True
    place, url = start(shop, priced, shop.tenant.client)
    helpers.pay(shop, url)  # a bank debit: complete, not paid yet
    run_out(place)
    assert holds.release_expired_holds() == 0
    assert Attendee.objects.get(pk=place.pk).status == "held"


def test_stripe_out_of_reach_still_frees_the_hold(shop, priced):
    place, _url = start(shop, priced, shop.tenant.client)
    run_out(place)
    shop.fake.accounts.pop(SECRET_KEYS["alpha"])  # every call now refused
    jobs.release_expired_holds.func(timestamp=0)  # the periodic job itself
    assert Attendee.objects.get(pk=place.pk).status == "cancelled"


def test_a_late_payment_after_the_sweep_is_refunded_not_placed(shop, priced):
    from reformer.payments.actions import grant

    place, _url = start(shop, priced, shop.tenant.client)
    run_out(place)
    holds.release_expired_holds()
    other, _url = start(shop, priced, make_client(shop.tenant, "Other"))
    assert grant.mark_paid(place.payment_id, payment_intent_id="pi_late") is True
    assert Attendee.objects.get(pk=place.pk).status == "cancelled"
    assert Attendee.objects.get(pk=other.pk).status == "held"
    (job,) = ProcrastinateJob.objects.filter(task_name="payments.refund_automatically")
    assert job.args["payment_id"] == place.payment_id
    assert check_integrity().ok


def test_the_sweep_is_a_periodic_job():
    from procrastinate.contrib.django import app

    periodic = {
        name: entry.cron for (name, _), entry in app.periodic_registry.periodic_tasks.items()
    }
    assert periodic["payments.release_expired_holds"] == "* * * * *"
