"""Scenario tests drive the specification's Gherkin scenarios end to end: HTTP for people,
the real procrastinate worker for jobs, and a controlled clock (time-machine)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from tests.concurrency.conftest import run_worker_once
from tests.notifications.conftest import fake_providers  # noqa: F401 (Resend and Twilio faked)


@pytest.fixture
def jobs(transactional_db, clean_job_tables):
    """`jobs.run()` runs every queued job with a real worker, as `reformer worker` would.
    `jobs.make_retries_due()` stands in for the retry wait having passed: the worker reads
    the database's clock, which time-machine does not move."""

    class Jobs:
        @staticmethod
        def run() -> None:
            run_worker_once()

        @staticmethod
        def make_retries_due() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE procrastinate_jobs SET scheduled_at = NULL WHERE status = 'todo'"
                )
                return cursor.rowcount

        @staticmethod
        def statuses(task_name: str) -> list[str]:
            return list(
                ProcrastinateJob.objects.filter(task_name=task_name)
                .order_by("id")
                .values_list("status", flat=True)
            )

    return Jobs()


@pytest.fixture
def clock():
    """`with clock.at(moment):` freezes time there (also in the worker's thread)."""

    class Clock:
        @staticmethod
        def at(moment: dt.datetime):
            return time_machine.travel(moment, tick=False)

    return Clock()
