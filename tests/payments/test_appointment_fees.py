"""Late-cancel and no-show fees for appointments: a type paid in credits keeps the credits;
a type priced in money charges the fee the owner set on it (0 = none) to the card saved at
checkout, off-session, once, on top of the price, which is kept. The client sees the rule
before booking and in the cancel dialog; staff see the fees in the client's history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.appointments import actions as appointment_actions
from reformer.appointments.models import Appointment, AppointmentType, Attendee
from reformer.billing.models import Payment
from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from reformer.payments.actions import appointments as paying
from reformer.payments.actions import checkout, fees, refunds
from tests.appointments import helpers as ah
from tests.bookings.helpers import give_package, make_client
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS

pytestmark = pytest.mark.django_db

LONG_WINDOW = 24 * 14  # every slot a few days ahead is inside it: cancelling is late


@pytest.fixture
def priced(shop):
    kind, _room, _spots = ah.setup_privates(shop.tenant, name="Private 55")
    kind.price = Decimal("85.00")
    kind.late_cancel_fee = Decimal("20.00")
    kind.no_show_fee = Decimal("30.00")
    kind.cancellation_window_hours = LONG_WINDOW
    kind.save()
    return kind


def paid_place(shop, kind, client, hour=10) -> Attendee:
    """Booked and paid through Checkout (the card is saved for fees here)."""
    place, url = paying.start_appointment_checkout(
        client,
        kind,
        studio=shop.tenant.studio,
        instructor=shop.tenant.instructor,
        starts_at=ah.at(shop.tenant, hour=hour),
        return_url=helpers.RETURN,
        cancel_url=helpers.CANCEL,
    )
    helpers.pay(shop, url)
    checkout.confirm_return(client, Payment.objects.get(pk=place.payment_id))
    place.refresh_from_db()
    assert place.status == "confirmed"
    return place


def fee_jobs():
    return ProcrastinateJob.objects.filter(task_name="payments.charge_appointment_fee")


def intents_of(shop, amount: int) -> list[dict]:
    objects = shop.fake.accounts[SECRET_KEYS["alpha"]].objects.values()
    return [o for o in objects if o.get("object") == "payment_intent" and o["amount"] == amount]


def start_in_the_past(place, minutes: int = 30) -> None:
    """The appointment began a while ago (for no-shows)."""
    past = timezone.now() - dt.timedelta(minutes=minutes)
    Appointment.objects.filter(pk=place.appointment_id).update(
        starts_at=past, ends_at=past + dt.timedelta(minutes=55)
    )
    Attendee.objects.filter(pk=place.pk).update(
        starts_at=past, ends_at=past + dt.timedelta(minutes=55)
    )


def test_a_late_cancel_keeps_the_payment_and_charges_the_fee_once(shop, priced):
    client = shop.tenant.client
    place = paid_place(shop, priced, client)
    appointment_actions.cancel_appointment_place(client, place)
    place.refresh_from_db()
    assert place.status == "late_cancelled" and not place.credit_returned
    assert Payment.objects.get(pk=place.payment_id).status == "succeeded"  # kept
    assert not ProcrastinateJob.objects.filter(task_name="payments.refund_automatically")
    (job,) = fee_jobs()
    assert job.args == {"place_id": place.pk, "kind": "late_cancel"}
    cancelled = Message.objects.get(kind="appointment_cancelled")
    assert "late cancellation fee of $20.00" in cancelled.context["credit_text"]

    fee = fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    again = fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    assert fee is not None and again is not None and fee.pk == again.pk
    assert (fee.kind, fee.status, fee.method) == ("fee", "succeeded", "card_saved")
    assert fee.amount == Decimal("20.00") and fee.fee_for_place_id == place.pk
    assert fee.studio == shop.tenant.studio and fee.client == client
    assert fee.note.startswith("Late cancellation fee: Private 55")
    assert len(intents_of(shop, 2000)) == 1
    (charge,) = shop.fake.requests_to("POST", "/v1/payment_intents")
    assert charge.idempotency_key == f"fee-{fee.pk}"
    assert Message.objects.filter(kind="fee_charged").count() == 1
    # Staff refund it like any payment (waived).
    refunds.refund_payment(shop.tenant.manager, fee, reason="Waived: ill")
    assert Payment.objects.get(pk=fee.pk).status == "refunded"


def test_a_no_show_charges_its_fee_and_a_correction_before_the_job_charges_nothing(shop, priced):
    client = shop.tenant.client
    place = paid_place(shop, priced, client)
    start_in_the_past(place, minutes=120)
    appointment_actions.mark_attendee(shop.tenant.front_desk, place, "no_show")
    assert [job.args["kind"] for job in fee_jobs()] == ["no_show"]
    fee = fees.charge_appointment_fee(place.pk, fees.NO_SHOW)
    assert fee is not None and fee.amount == Decimal("30.00") and fee.status == "succeeded"

    other = make_client(shop.tenant, "Other")
    second = paid_place(shop, priced, other, hour=14)
    start_in_the_past(second)
    assert (
        appointment_actions.mark_overdue_no_shows(timezone.now() + dt.timedelta(minutes=1)) == 1
    )  # the sweep marks it, and the fee is queued the same way
    appointment_actions.mark_attendee(shop.tenant.front_desk, second, "attended")
    assert fees.charge_appointment_fee(second.pk, fees.NO_SHOW) is None
    assert not Payment.objects.filter(fee_for_place=second).exists()


def test_no_fee_in_time_at_zero_or_for_a_type_paid_in_credits(shop, priced):
    client = shop.tenant.client
    # In time: refunded, no fee.
    priced.cancellation_window_hours = 1
    priced.save()
    place = paid_place(shop, priced, client)
    appointment_actions.cancel_appointment_place(client, place)
    assert Attendee.objects.get(pk=place.pk).status == "cancelled"
    assert not fee_jobs().exists()
    # Late, but the owner set no fee.
    priced.cancellation_window_hours = LONG_WINDOW
    priced.late_cancel_fee = Decimal("0")
    priced.save()
    place = paid_place(shop, priced, client, hour=14)
    appointment_actions.cancel_appointment_place(client, place)
    assert Attendee.objects.get(pk=place.pk).status == "late_cancelled"
    assert not fee_jobs().exists()
    # Paid in credits: late cancel keeps the credit, nothing charged.
    credits = AppointmentType.objects.create(
        organization=shop.tenant.organization,
        name="Private credits",
        cancellation_window_hours=LONG_WINDOW,
    )
    credits.instructors.add(shop.tenant.instructor)
    package = give_package(client, credits=3)
    place = appointment_actions.book_appointment(
        client,
        credits,
        studio=shop.tenant.studio,
        instructor=shop.tenant.instructor,
        starts_at=ah.at(shop.tenant, hour=16),
    )
    appointment_actions.cancel_appointment_place(client, place)
    package.refresh_from_db()
    assert package.credits_remaining == 2 and not fee_jobs().exists()


def test_a_declined_card_or_none_leaves_a_failed_fee_for_the_desk(shop, priced):
    client = shop.tenant.client
    place = paid_place(shop, priced, client)
    appointment_actions.cancel_appointment_place(client, place)
    shop.fake.fail_off_session = True
    fee = fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    assert fee is not None and fee.status == "failed" and "declined" in fee.failure_reason
    alert = AdminAlert.objects.get(code="payments.fee_not_charged")
    assert alert.data == {"payment": fee.pk} and alert.studio_id == shop.tenant.studio.pk
    # Paid at the desk, no card on file: the desk collects it or waives it.
    walk_in = make_client(shop.tenant, "Walk In")
    desk = appointment_actions.book_appointment(
        shop.tenant.front_desk,
        priced,
        studio=shop.tenant.studio,
        instructor=shop.tenant.instructor,
        starts_at=ah.at(shop.tenant, hour=14),
        client=walk_in,
        payment_method="cash",
    )
    appointment_actions.cancel_appointment_place(shop.tenant.front_desk, desk)
    fee = fees.charge_appointment_fee(desk.pk, fees.LATE_CANCEL)
    assert fee is not None and fee.failure_reason.startswith("No card on file")


def test_a_lost_answer_from_stripe_charges_once_on_the_retry(shop, priced):
    """The job charged, then died before recording it: the retry sends the same
    Idempotency-Key, so Stripe (the fake honours keys) answers with the first charge."""
    client = shop.tenant.client
    place = paid_place(shop, priced, client)
    appointment_actions.cancel_appointment_place(client, place)
    fee = fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    assert fee is not None
    first_intent = fee.payment_intent_id
    Payment.objects.filter(pk=fee.pk).update(status="pending", payment_intent_id="")
    again = fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    assert again is not None and again.payment_intent_id == first_intent
    assert len(intents_of(shop, 2000)) == 1


def test_the_client_sees_the_rule_before_booking_and_when_cancelling(client, shop, priced):
    tenant = shop.tenant
    client.force_login(tenant.client.user)
    rule = "A late cancellation costs $20.00; a no-show costs $30.00, charged to the card you paid"
    slots_page = client.get(reverse("frontdoor:private_slots", args=[priced.pk])).content.decode()
    assert rule in slots_page and "Free cancellation up to 336 hours before" in slots_page
    assert rule in client.get(reverse("frontdoor:privates")).content.decode()

    place = paid_place(shop, priced, tenant.client)
    dashboard = client.get(reverse("client:dashboard")).content.decode()
    assert "The free cancellation window closed at" in dashboard
    assert "A late cancellation fee of $20.00 is charged to the card you paid with." in dashboard
    cancelled = client.post(
        reverse("frontdoor:cancel_private", args=[place.appointment.reference]), follow=True
    ).content.decode()
    assert "the payment is kept. A late cancellation fee of $20.00" in cancelled


def test_staff_see_the_fee_in_the_clients_history(client, shop, priced):
    tenant = shop.tenant
    place = paid_place(shop, priced, tenant.client)
    appointment_actions.cancel_appointment_place(tenant.client, place)
    fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    url = reverse("frontdoor:staff_client", args=[tenant.client.pk])
    client.force_login(tenant.front_desk.user)
    page = client.get(url).content.decode()
    assert "Late cancellation fee: Private 55" in page and "20.00 USD, paid" in page
    # Someone without access to payments sees the session, not the money.
    client.force_login(tenant.instructor.user)
    response = client.get(url)
    if response.status_code == 200:
        assert "Late cancellation fee" not in response.content.decode()


def test_the_owner_sets_fees_per_type_and_bad_fees_are_refused(shop):
    ah.private_room(shop.tenant)
    owner = shop.tenant.owner
    base = {"name": "Private 55", "equipment": "reformer", "price": "85"}
    for data, field in (
        ({"late_cancel_fee": "abc"}, "late_cancel_fee"),
        ({"no_show_fee": "-5"}, "no_show_fee"),
        ({"no_show_fee": "20000"}, "no_show_fee"),
        ({"price": "", "late_cancel_fee": "10"}, "late_cancel_fee"),  # paid in credits
    ):
        with pytest.raises(DomainError) as refused:
            appointment_actions.create_appointment_type(owner, base | data)
        assert refused.value.data["field"] == field
        assert not AppointmentType.objects.exists()
    kind = appointment_actions.create_appointment_type(
        owner, base | {"late_cancel_fee": "20", "no_show_fee": ""}
    )
    assert (kind.late_cancel_fee, kind.no_show_fee) == (Decimal("20.00"), Decimal("0"))


def test_the_setup_form_shows_a_bad_fee_clearly(client, shop):
    ah.private_room(shop.tenant)
    client.force_login(shop.tenant.owner.user)
    url = reverse("frontdoor:setup_newcomers")
    response = client.post(
        url,
        {
            "action": "type_add",
            "name": "Private 55",
            "equipment": "reformer",
            "capacity": "1",
            "duration_minutes": "55",
            "credits": "1",
            "cancellation_window_hours": "24",
            "late_cancel_fee": "12",
        },
    )
    assert response.status_code == 422
    assert "A late cancellation fee needs a price" in response.content.decode()
    assert not AppointmentType.objects.exists()
