"""Package expiry warnings (PHX-18) with a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from reformer.billing.models import PackageProduct
from reformer.core.timezones import local_to_utc
from reformer.notifications.expiry import queue_expiry_warnings, warning_point
from reformer.notifications.models import Message, RecipientSettings
from reformer.notifications.sending import deliver_message
from tests import factories
from tests.bookings import helpers

D = dt.timedelta(days=1)
EXPIRES = local_to_utc(dt.date(2026, 7, 31), dt.time(23, 59), "America/New_York")


@pytest.fixture
def tenant(world):
    return world.a


def package(tenant, *, credits=5, total=10, created=EXPIRES - 60 * D, kind="class_pack"):
    with time_machine.travel(created, tick=False):
        client = helpers.make_client(tenant, "Pia")
        unlimited = kind == PackageProduct.Kind.UNLIMITED
        pkg = helpers.give_package(
            client, credits=None if unlimited else total, kind=kind, expires_at=EXPIRES
        )
    if kind != PackageProduct.Kind.UNLIMITED:
        type(pkg).objects.filter(pk=pkg.pk).update(credits_remaining=credits)
    return pkg


def warnings_at(moment):
    with time_machine.travel(moment, tick=False):
        queue_expiry_warnings()
    return list(Message.objects.filter(kind="package_expiring").order_by("pk"))


def point(days):
    return warning_point(EXPIRES, days, "America/New_York")


@pytest.mark.scenario("PHX-18", "Skip warning if already sent")
def test_30_7_and_1_day_warnings_once_each(tenant):
    package(tenant)
    assert warnings_at(point(30) - dt.timedelta(minutes=1)) == []
    (first,) = warnings_at(point(30))
    assert first.idempotency_key.endswith(":30d")
    assert len(warnings_at(point(30) + 3 * dt.timedelta(hours=1))) == 1  # no duplicate
    assert len(warnings_at(point(7))) == 2
    keys = [m.idempotency_key[-3:] for m in warnings_at(point(1))]
    assert keys == ["30d", ":7d", ":1d"]
    assert len(warnings_at(point(1) + D / 2)) == 3


@pytest.mark.scenario("PHX-18", "Send final 1-day warning")
@pytest.mark.scenario("PHX-18", "Send 30-day expiration warning")
def test_the_warnings_say_what_is_left_and_grow_more_urgent(tenant):
    package(tenant, credits=5, total=10)
    warnings_at(point(1))  # only the most urgent one goes when several are due
    (last,) = Message.objects.filter(kind="package_expiring")
    with time_machine.travel(point(1), tick=False):
        deliver_message(last.pk)
    sent = mail.outbox[-1]
    assert sent.subject.startswith("Last chance to use your credits")
    assert "5 credits left (5 of 10)" in sent.body
    assert "/classes/" in sent.body  # book now
    assert "Renew or buy a package" in sent.body
    assert "Last chance to use your credits" in sent.alternatives[0][0]
    assert "#b42318" in sent.alternatives[0][0]  # the red banner


@pytest.mark.scenario("PHX-18", "Send 30-day expiration warning")
@pytest.mark.scenario("PHX-18", "Send 7-day urgent warning")
def test_the_30_day_warning_states_it_and_the_7_day_is_urgent(tenant):
    package(tenant, credits=8)
    (thirty,) = warnings_at(point(30))
    with time_machine.travel(point(30), tick=False):
        deliver_message(thirty.pk)
    assert "expires in 30 days" in mail.outbox[-1].subject
    seven = warnings_at(point(7))[-1]
    with time_machine.travel(point(7), tick=False):
        deliver_message(seven.pk)
    assert mail.outbox[-1].subject == "Package expiring soon! 8 credits left"


@pytest.mark.scenario("PHX-18", "Skip warning if package fully used")
def test_no_warning_for_a_fully_used_package(tenant):
    package(tenant, credits=0)
    assert warnings_at(point(1)) == []


def test_a_package_bought_after_a_warning_point_skips_that_warning(tenant):
    package(tenant, created=EXPIRES - 20 * D)
    assert warnings_at(point(7) - D) == []
    assert [m.idempotency_key[-3:] for m in warnings_at(point(7))] == [":7d"]


def test_a_client_who_opted_out_gets_a_logged_skip(tenant):
    pkg = package(tenant)
    RecipientSettings.objects.create(user=pkg.client.user, notify_package_warnings=False)
    (skipped,) = warnings_at(point(30))
    assert skipped.status == "skipped" and "Package expiry warnings" in skipped.error


def test_unlimited_packages_are_warned_too(tenant):
    package(tenant, kind=PackageProduct.Kind.UNLIMITED)
    (warning,) = warnings_at(point(30))
    assert warning.context["remaining_text"] == "Unlimited classes until then."


@pytest.mark.scenario("PHX-18", "Send 7-day urgent warning")
def test_the_7_day_warning_suggests_classes_with_places_and_renewal(tenant):
    pkg = package(tenant, credits=8)
    with time_machine.travel(point(7) - dt.timedelta(days=3), tick=False):
        open_class = factories.make_session(tenant, starts_at=point(7) + 2 * D)
        factories.make_session(tenant, starts_at=point(7) + 3 * D, capacity=1, booked_count=1)
    warning = warnings_at(point(7))[-1]
    with time_machine.travel(point(7), tick=False):
        deliver_message(warning.pk)
    sent = mail.outbox[-1]
    assert f"/classes/{open_class.pk}/" in sent.body  # a class with places
    assert sent.body.count("/classes/") == 2  # that one and "book classes now": not the full one
    assert f"/o/{pkg.organization.slug}/" in sent.body  # renew or buy


@pytest.mark.scenario("PHX-18", "Handle email delivery failure")
def test_a_failed_warning_email_is_retried_then_alerts_staff(tenant, monkeypatch):
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    from reformer.core.models import AdminAlert
    from reformer.notifications import sending

    package(tenant)
    (warning,) = warnings_at(point(30))

    def down(self):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", down)
    with time_machine.travel(point(30), tick=False) as clock:
        for _ in range(sending.MAX_ATTEMPTS - 1):
            assert deliver_message(warning.pk).status == "retry"
            warning.refresh_from_db()
            clock.move_to(warning.send_after)
        assert deliver_message(warning.pk).status == "failed"
    alert = AdminAlert.objects.get(code="notifications.delivery_failed")
    assert "package expiring" in alert.message and "mail server down" in alert.message
