"""Schemathesis against the OpenAPI document: no server errors, no response off the schema.

Every operation is called with generated valid and invalid input, through Django's WSGI
handler on the test database, with a key acting as the owner of an organization that
has classes, clients, packages and bookings. Example counts are CI-sized.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from reformer.bookings import actions
from reformer.web.api.api import api
from tests.api.conftest import key_for
from tests.bookings.helpers import give_package
from tests.factories import make_session

EXAMPLES_PER_OPERATION = 12


# Schema-valid input may still break a rule no schema can state (an opaque cursor from
# elsewhere, a class that is full, staff booking without naming the client): those are
# answered 409/422 with a problem document, which is right, not a rejection of valid data.
CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "402", "403", "404", "409", "422", "429", "503"]
"""
)
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(path_prefix="/api/v1"), config=CONFIG
)
schema.app = WSGIHandler()


@pytest.fixture
def keep_test_connection():
    """Django's test client keeps the test's connection open across requests; a bare WSGI
    handler would close it after each one (and with it the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def owner_key(world, keep_test_connection) -> str:
    give_package(world.a.client)
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=1))
    actions.book_session(world.a.client, session)
    return key_for(world.a, "owner")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_openapi_document(case, owner_key):
    # identity: the WSGI transport hands the body over as sent, without undoing the gzip that
    # a real client (requests, httpx, browsers) asks for and undoes (tests/web/test_compression.py).
    case.call_and_validate(
        headers={"Authorization": f"Bearer {owner_key}", "Accept-Encoding": "identity"}
    )
