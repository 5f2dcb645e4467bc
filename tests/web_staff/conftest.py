"""Fixtures for the staff pages: a class today in tenant a's main studio taught by a's
instructor, with bookings and a waitlist, and clients to fill it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reformer.bookings.models import Booking, WaitlistEntry
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.factories import make_session


def in_two_hours() -> dt.datetime:
    """A start later today (mostly), to the minute: the staff pages' "today" class."""
    return (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)


def make_client(tenant, name: str):
    user = factories.UserFactory(name=name, email=f"{name.lower().replace(' ', '.')}@example.com")
    return factories.MembershipFactory(user=user, organization=tenant.organization, role="client")


def add_booking(session, client, *, status="confirmed", spot=None, **fields):
    booking = Booking.objects.create(
        organization=session.organization,
        session=session,
        client=client,
        spot=spot,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=status,
        **fields,
    )
    if status in Booking.HOLDING:
        ClassSession.objects.filter(pk=session.pk).update(booked_count=session.booked_count + 1)
        session.booked_count += 1
    return booking


def add_waiting(session, client, minutes_ago=5):
    entry = WaitlistEntry.objects.create(
        organization=session.organization,
        session=session,
        client=client,
        joined_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )
    ClassSession.objects.filter(pk=session.pk).update(waiting_count=session.waiting_count + 1)
    session.waiting_count += 1
    return entry


@pytest.fixture
def session_a(world):
    return make_session(world.a, starts_at=in_two_hours())


@pytest.fixture
def login_as(client):
    def _login(member_or_user):
        user = getattr(member_or_user, "user", member_or_user)
        client.force_login(user)
        return client

    return _login
