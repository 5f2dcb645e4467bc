"""Appointment types priced in money: Stripe Checkout holds the slot while paying, the
webhook confirms it exactly once, a failed or abandoned payment frees the slot, the desk
takes money too, and cancelling in time refunds through Stripe with a Refund row."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reformer.appointments import actions as appointment_actions
from reformer.appointments.models import Appointment, Attendee, Occupancy
from reformer.billing.models import Payment
from reformer.bookings.integrity import check_integrity
from reformer.core.errors import DomainError
from reformer.notifications.models import Message
from reformer.payments.actions import checkout
from reformer.payments.models import Refund
from tests.appointments import helpers as ah
from tests.bookings.helpers import make_client
from tests.payments import helpers
from tests.payments.conftest import deliver_all, process_events
from tests.webhooks.conftest import run_queued_jobs

pytestmark = pytest.mark.django_db


start = helpers.start_private


def test_checkout_holds_the_slot_and_the_webhook_confirms_it_once(shop, priced):
    client = shop.tenant.client
    place, url = start(shop, priced, client)
    assert place.status == "held" and place.payment.status == "pending"
    assert place.payment.amount == Decimal("85.00") and place.payment.kind == "appointment"
    # While paying, nobody else can take the time.
    other = make_client(shop.tenant, "Other")
    with pytest.raises(DomainError) as taken:
        start(shop, priced, other)
    assert taken.value.code == "appointment.slot_taken"
    assert not Message.objects.filter(kind="appointment_confirmed").exists()

    _redirect, error = helpers.pay(shop, url)
    assert error is None
    deliver_all(shop)
    deliver_all(shop)  # Stripe sends it again: still one confirmation
    assert process_events() == ["applied"]
    checkout.confirm_return(client, place.payment)  # the return finds it done
    place.refresh_from_db()
    assert place.status == "confirmed" and place.credits_spent == 0
    assert place.payment.status == "succeeded" and place.payment.payment_intent_id
    assert Message.objects.filter(kind="appointment_confirmed").count() == 1
    assert Message.objects.filter(kind="payment_receipt").count() == 1
    assert check_integrity().ok


def test_a_declined_or_abandoned_payment_frees_the_slot(shop, priced):
    client = shop.tenant.client
    place, url = start(shop, priced, client)
    _redirect, error = helpers.pay(shop, url, card="4000 0000 0000 0002")
    assert error == "Your card was declined."
    checkout.abandon_checkout(client, place.payment)
    place.refresh_from_db()
    assert place.status == "cancelled" and place.payment.status == "failed"
    assert place.appointment.status == "cancelled"
    assert not Occupancy.objects.filter(appointment_id=place.appointment_id).exists()
    # The slot is open again: another client books it.
    other = make_client(shop.tenant, "Other")
    again, _url = start(shop, priced, other)
    assert again.status == "held"


def test_an_expired_checkout_frees_the_slot_and_late_money_is_refunded(shop, priced):
    client = shop.tenant.client
    place, _url = start(shop, priced, client)
    shop.fake.handle_api(
        "POST",
        f"/v1/checkout/sessions/{place.payment.provider_id}/expire",
        "sk_test_alphaAAAAAAAAAAAA1234",
        {},
    )
    deliver_all(shop, ("checkout.session.expired",))
    process_events()
    place.refresh_from_db()
    assert place.status == "cancelled" and place.payment.status == "cancelled"
    # Money arriving after all (a late webhook) is kept as paid, then refunded by the job.
    from reformer.payments.actions import grant

    assert grant.mark_paid(place.payment.pk, payment_intent_id="pi_late") is True
    place.refresh_from_db()
    assert place.status == "cancelled" and place.payment.status == "succeeded"
    from procrastinate.contrib.django.models import ProcrastinateJob

    (job,) = ProcrastinateJob.objects.filter(task_name="payments.refund_automatically")
    assert job.args == {
        "payment_id": place.payment_id,
        "reason": "The time was no longer held when the payment arrived",
    }


def test_cancelling_in_time_refunds_through_stripe_and_records_it(shop, priced):
    client = shop.tenant.client
    place, url = start(shop, priced, client)
    helpers.pay(shop, url)
    deliver_all(shop)
    process_events()
    place.refresh_from_db()
    appointment_actions.cancel_appointment_place(client, place)
    assert run_queued_jobs("payments.refund_automatically") == 1
    payment = Payment.objects.get(pk=place.payment_id)
    assert payment.status == "refunded" and payment.amount_refunded == Decimal("85.00")
    (refund,) = Refund.objects.filter(payment=payment)
    assert refund.provider_id.startswith("re_") and refund.actor is None
    assert refund.reason == "Cancelled in time"
    notice = Message.objects.get(kind="payment_refunded")
    assert notice.context["why"] == "Cancelled in time"
    assert run_queued_jobs("payments.refund_automatically") == 0  # nothing twice
    assert check_integrity().ok


def test_the_desk_takes_money_and_a_client_cannot_skip_paying(shop, priced):
    client = shop.tenant.client
    with pytest.raises(DomainError) as online:
        appointment_actions.book_appointment(
            client,
            priced,
            studio=shop.tenant.studio,
            instructor=shop.tenant.instructor,
            starts_at=ah.at(shop.tenant, hour=10),
        )
    assert online.value.code == "appointment.pay_online"
    with pytest.raises(DomainError) as method:
        appointment_actions.book_appointment(
            shop.tenant.front_desk,
            priced,
            studio=shop.tenant.studio,
            instructor=shop.tenant.instructor,
            starts_at=ah.at(shop.tenant, hour=10),
            client=client,
            payment_method="bitcoin",
        )
    assert method.value.data["field"] == "payment_method"
    assert not Appointment.objects.exists() and not Payment.objects.exists()
    place = appointment_actions.book_appointment(
        shop.tenant.front_desk,
        priced,
        studio=shop.tenant.studio,
        instructor=shop.tenant.instructor,
        starts_at=ah.at(shop.tenant, hour=10),
        client=client,
        payment_method="cash",
    )
    assert place.status == "confirmed" and place.client_package is None
    payment = place.payment
    assert (payment.method, payment.status, payment.amount) == ("cash", "succeeded", 85)
    assert payment.recorded_by == shop.tenant.front_desk.user
    # A desk payment cancelled in time is refunded (recorded: cash back at the desk).
    appointment_actions.cancel_appointment_place(shop.tenant.front_desk, place)
    assert run_queued_jobs("payments.refund_automatically") == 1
    (refund,) = Refund.objects.filter(payment=payment)
    assert refund.provider_id == "" and refund.amount == Decimal("85.00")
    assert Attendee.objects.get(pk=place.pk).status == "cancelled"


def test_the_booking_page_shows_the_price_and_sends_the_client_to_pay(client, shop, priced):
    from django.urls import reverse

    client.force_login(shop.tenant.client.user)
    url = reverse("frontdoor:private_slots", args=[priced.pk])
    page = client.get(url, {"day": ah.local_day(shop.tenant).isoformat()})
    assert "$85.00, paid by card when you book" in page.content.decode()
    response = client.post(
        f"{url}?studio={shop.tenant.studio.pk}",
        {
            "instructor": shop.tenant.instructor.pk,
            "starts_at": ah.at(shop.tenant, hour=10).isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"].startswith(shop.fake.base_url)
    place = Attendee.objects.get(client=shop.tenant.client)
    assert place.status == "held"
    # Back from Stripe without paying: the slot is released and the page says so.
    back = client.get(reverse("payments:checkout_cancelled", args=[place.payment_id]), follow=True)
    assert "The time you picked was released." in back.content.decode()
    place.refresh_from_db()
    assert place.status == "cancelled"


def test_the_desk_books_a_priced_session_through_the_form(client, shop, priced):
    from django.urls import reverse

    tenant = shop.tenant
    client.force_login(tenant.front_desk.user)
    form = {
        "studio": tenant.studio.pk,
        "type": priced.pk,
        "client": tenant.client.pk,
        "slot": f"{ah.at(tenant, hour=10).isoformat()}|{tenant.instructor.pk}",
    }
    url = reverse("frontdoor:staff_appointment_book")
    page = client.get(
        reverse("frontdoor:staff_appointments"),
        {"studio": tenant.studio.pk, "type": priced.pk, "date": ah.local_day(tenant).isoformat()},
    )
    assert "Paid at the desk ($85.00" in page.content.decode() or "Paid at the desk (85.00" in (
        page.content.decode()
    )
    refused = client.post(url, form, follow=True)
    assert "Choose how the client pays" in refused.content.decode()
    assert not Appointment.objects.exists()
    booked = client.post(url, form | {"payment_method": "terminal"})
    assert booked.status_code == 302
    place = Attendee.objects.get(client=tenant.client)
    assert place.status == "confirmed" and place.payment.method == "terminal"
