from __future__ import annotations

import pytest

from tests.appointments import helpers as appointment_helpers
from tests.bookings import helpers


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture
def private(tenant):
    kind, _room, _spots = appointment_helpers.setup_privates(tenant)
    return kind


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
