"""Late-cancel and no-show fees: opt-in per studio, in the policy text before booking,
charged off-session to the card saved at checkout, refundable by staff."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.billing.models import Payment
from reformer.bookings.actions import book_session, booking_quote, cancel_booking, mark_attendance
from reformer.bookings.models import Booking
from reformer.payments.actions import accounts, checkout, fees, refunds
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers as booking_helpers
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee_studio(shop, world):
    accounts.set_fee_policy(
        world.a.owner, world.a.studio, late_cancel_fee="15.00", no_show_fee="20", currency="USD"
    )
    client = world.a.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    checkout.confirm_return(client, payment)  # the card is saved here
    return shop


_hour = itertools.count(1)


def late_booking(tenant, client):
    """A booking inside the cancellation window: the class starts within a few hours."""
    session = factories.make_session(
        tenant, starts_at=timezone.now() + dt.timedelta(hours=next(_hour) % 6 + 1)
    )
    return book_session(client, session=session)


def fee_jobs():
    return ProcrastinateJob.objects.filter(task_name="payments.charge_booking_fee")


def test_the_policy_text_names_the_fees_before_booking(fee_studio, world):
    session = factories.make_session(world.a)
    quote = booking_quote(world.a.client, session)
    assert "A late cancellation costs $15.00; a no-show costs $20.00" in quote.cancellation_policy
    other_studio_session = factories.make_session(
        world.a, room=factories.RoomFactory(studio=world.a.other_studio)
    )
    assert "costs" not in booking_quote(world.a.client, other_studio_session).cancellation_policy


def test_a_late_cancel_charges_the_saved_card_once(fee_studio, world):
    booking = late_booking(world.a, world.a.client)
    cancel_booking(world.a.client, booking)
    assert fee_jobs().count() == 1
    payment = fees.charge_fee(booking.pk, fees.LATE_CANCEL)
    again = fees.charge_fee(booking.pk, fees.LATE_CANCEL)
    assert payment.pk == again.pk
    assert payment.status == "succeeded" and payment.kind == "fee"
    assert payment.amount == Decimal("15.00") and payment.studio == world.a.studio
    intents = [
        o
        for o in fee_studio.fake.accounts[SECRET_KEYS["alpha"]].objects.values()
        if o.get("object") == "payment_intent" and o["amount"] == 1500
    ]
    assert len(intents) == 1
    # Staff refund it like any payment.
    refunds.refund_payment(world.a.manager, payment, reason="Waived: illness")
    assert Payment.objects.get(pk=payment.pk).status == "refunded"


def test_a_no_show_charges_its_fee(fee_studio, world):
    booking = late_booking(world.a, world.a.client)
    past = timezone.now() - dt.timedelta(minutes=30)
    ClassSession.objects.filter(pk=booking.session_id).update(
        starts_at=past, ends_at=past + dt.timedelta(minutes=50)
    )
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=past, ends_at=past + dt.timedelta(minutes=50)
    )
    mark_attendance(world.a.front_desk, booking, "no_show")
    assert fee_jobs().count() == 1
    payment = fees.charge_fee(booking.pk, fees.NO_SHOW)
    assert payment.status == "succeeded" and payment.amount == Decimal("20.00")


def test_a_declined_saved_card_leaves_a_failed_fee_for_the_desk(fee_studio, world):
    fee_studio.fake.fail_off_session = True
    booking = late_booking(world.a, world.a.client)
    cancel_booking(world.a.client, booking)
    payment = fees.charge_fee(booking.pk, fees.LATE_CANCEL)
    assert payment.status == "failed" and "declined" in payment.failure_reason
    from reformer.core.models import AdminAlert

    alert = AdminAlert.objects.get(code="payments.fee_not_charged")
    assert alert.organization_id == world.a.organization.pk
    assert alert.studio_id == world.a.studio.pk and alert.data == {"payment": payment.pk}


def test_no_fee_without_a_policy_or_a_card(shop, world):
    booking_helpers.give_package(world.a.client)
    booking = late_booking(world.a, world.a.client)
    cancel_booking(world.a.client, booking)
    assert not fee_jobs().exists()
    accounts.set_fee_policy(world.a.owner, world.a.studio, late_cancel_fee="10", no_show_fee="")
    client = booking_helpers.make_client(world.a, "Nocard")
    booking_helpers.give_package(client)
    booking = late_booking(world.a, client)
    cancel_booking(client, booking)
    payment = fees.charge_fee(booking.pk, fees.LATE_CANCEL)
    assert payment.status == "failed" and payment.failure_reason.startswith("No card on file")


def test_a_staff_override_that_returns_the_credit_charges_no_fee(fee_studio, world):
    booking = late_booking(world.a, world.a.client)
    cancel_booking(world.a.front_desk, booking, return_credit=True, reason="Sick child")
    assert not fee_jobs().exists()


def test_fee_amounts_are_validated(shop, world):
    from reformer.core.errors import DomainError

    for bad in ("abc", "-5", "20000"):
        with pytest.raises(DomainError):
            accounts.set_fee_policy(
                world.a.owner, world.a.studio, late_cancel_fee=bad, no_show_fee=None
            )
    with pytest.raises(DomainError) as refused:
        accounts.set_fee_policy(
            world.a.manager, world.a.studio, late_cancel_fee="5", no_show_fee=None
        )
    assert refused.value.code == "permission_denied"
