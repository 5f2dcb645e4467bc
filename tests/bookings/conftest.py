from __future__ import annotations

import pytest

from tests import factories
from tests.bookings import helpers


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture
def session(tenant):
    return factories.make_session(tenant, capacity=3)


@pytest.fixture
def alice(tenant):
    client = helpers.make_client(tenant, "Alice")
    helpers.give_package(client, credits=5)
    return client


@pytest.fixture
def bob(tenant):
    client = helpers.make_client(tenant, "Bob")
    helpers.give_package(client, credits=5)
    return client


@pytest.fixture
def carol(tenant):
    client = helpers.make_client(tenant, "Carol")
    helpers.give_package(client, credits=5)
    return client


@pytest.fixture
def live_events(monkeypatch):
    return helpers.record_live_events(monkeypatch)
