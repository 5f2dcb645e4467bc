from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.bookings import helpers


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture(autouse=True)
def invariants_hold_afterwards(request):
    """After every race: capacity respected, counters true, ledgers balanced."""
    yield
    if "transactional_db" in request.fixturenames:
        helpers.assert_consistent()


class Outcome:
    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error = value, error

    @property
    def code(self) -> str | None:
        return getattr(self.error, "code", None) if self.error else None

    def __repr__(self) -> str:
        return f"Outcome({self.value!r}, {self.error!r})"


def race(calls: list[Callable[[], Any]], *, timeout: float = 60) -> list[Outcome]:
    """Run every call in its own thread (own database connection), all released at the
    same instant by a barrier; each thread closes its connection at the end."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome] = [Outcome() for _ in calls]

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, not after
            barrier.wait()
            outcomes[index] = Outcome(value=call())
        except BaseException as exc:  # reported to the test
            outcomes[index] = Outcome(error=exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a racing thread hung"
    return outcomes


def run_worker_once() -> None:
    """Run a real procrastinate worker (its own connector, no periodic jobs) until the queue
    is empty, in a fresh thread (asyncio.run must not meet another loop)."""
    from procrastinate.contrib.django import app
    from procrastinate.periodic import PeriodicRegistry

    worker_app = app.with_connector(app.connector.get_worker_connector())
    worker_app.periodic_registry = PeriodicRegistry()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            worker_app.run_worker(
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
                fetch_job_polling_interval=0.1,
            )
        except BaseException as exc:  # reported to the test
            failure.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the worker did not finish"
    assert not failure, failure
