"""Races with real threads on PostgreSQL over one expired hold: the sweep, Stripe's
checkout.session.expired webhook, a payment that completes at the last moment and another
client trying the same time, all released at once. Whatever the order: the place is
confirmed once or freed once, a payment that lost is refunded (never placed), and nobody
is ever double-booked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.appointments.models import Appointment, Attendee
from reformer.billing.models import Payment, WebhookEvent
from reformer.bookings.integrity import check_integrity
from reformer.core.models import AuditEvent
from reformer.payments.actions import appointments as paying
from reformer.payments.actions import events, grant, holds
from tests.appointments import helpers as ah
from tests.bookings.helpers import make_client
from tests.concurrency.conftest import race
from tests.payments import helpers

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 4


@pytest.fixture(autouse=True)
def _jobs(clean_job_tables):
    yield


def _start(shop, kind, client, starts_at):
    return paying.start_appointment_checkout(
        client,
        kind,
        studio=shop.tenant.studio,
        instructor=shop.tenant.instructor,
        starts_at=starts_at,
        return_url=helpers.RETURN,
        cancel_url=helpers.CANCEL,
    )


def test_sweep_webhook_late_payment_and_a_rival_booking_never_double_book(shop):
    kind, _room, _spots = ah.setup_privates(shop.tenant, name="Private 55")
    kind.price = Decimal("85.00")
    kind.save()
    seen = set()
    for round_ in range(ROUNDS):
        starts_at = ah.at(shop.tenant, hour=8 + 2 * round_)
        alice = make_client(shop.tenant, f"Alice {round_}")
        rival = make_client(shop.tenant, f"Rival {round_}")
        place, _url = _start(shop, kind, alice, starts_at)
        payment = Payment.objects.get(pk=place.payment_id)
        Attendee.objects.filter(pk=place.pk).update(
            held_until=timezone.now() - dt.timedelta(seconds=1)
        )
        # Stripe's expired event, delivered and stored (its job runs in the race).
        shop.post_event(
            {
                "id": f"evt_expired_{round_}",
                "type": "checkout.session.expired",
                "data": {
                    "object": {
                        "id": payment.provider_id,
                        "object": "checkout.session",
                        "mode": "payment",
                        "metadata": {"reformer_payment": str(payment.pk)},
                    }
                },
            }
        )
        event = WebhookEvent.objects.get(event_id=f"evt_expired_{round_}")

        outcomes = race(
            [
                holds.release_expired_holds,
                lambda event=event: events.process_event(event.pk),
                lambda pk=payment.pk, intent=f"pi_late_{round_}": grant.mark_paid(
                    pk, payment_intent_id=intent
                ),
                lambda rival=rival, starts_at=starts_at: _start(shop, kind, rival, starts_at),
            ]
        )
        sweep, webhook, late, rival_try = outcomes
        assert [o.error for o in (sweep, webhook, late) if o.error] == []
        assert rival_try.error is None or rival_try.code == "appointment.slot_taken", rival_try

        place.refresh_from_db()
        payment.refresh_from_db()
        assert payment.status == "succeeded"  # the money arrived, whatever the order
        released = AuditEvent.objects.filter(
            code="appointments.place.released", subject_id=place.pk
        ).count()
        refunds = ProcrastinateJob.objects.filter(
            task_name="payments.refund_automatically", args__payment_id=payment.pk
        ).count()
        if place.status == "confirmed":
            seen.add("paid first")
            assert released == 0 and refunds == 0
            assert rival_try.code == "appointment.slot_taken"
        else:
            seen.add("freed first")
            assert place.status == "cancelled"
            assert released == 1 and refunds == 1  # freed once; the late money goes back
        # Never two people in that time: the held/confirmed places there number at most one.
        holding = Attendee.objects.filter(
            starts_at=starts_at, status__in=Attendee.HOLDING
        ).values_list("client_id", flat=True)
        assert len(holding) <= 1
        scheduled = Appointment.objects.filter(starts_at=starts_at, status="scheduled")
        assert scheduled.count() == len(holding)
        assert check_integrity().ok
    assert seen  # which orders happened is up to the scheduler; each is checked above
