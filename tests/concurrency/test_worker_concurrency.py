"""`reformer worker` runs several jobs at once (WORKER_CONCURRENCY / --concurrency).

Two jobs that can only finish together (each waits at a two-party barrier) both succeed on one
worker run with concurrency 2: they were running at the same time. The worker is the real
`reformer.worker.run_worker`, on its own connections, in a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from procrastinate.contrib.django import app

from reformer import cli
from reformer.worker import run_worker, standalone_concurrency

pytestmark = pytest.mark.django_db(transaction=True)

MEETING = threading.Barrier(2)


@app.task(name="tests.meet_another_job")
def meet_another_job() -> None:
    MEETING.wait(timeout=30)  # raises (the job fails) unless a second job arrives meanwhile


def _states() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM procrastinate_jobs WHERE task_name = 'tests.meet_another_job'"
        )
        return sorted(row[0] for row in cursor.fetchall())


def test_a_worker_runs_two_jobs_at_once(clean_job_tables):
    MEETING.reset()
    meet_another_job.defer()
    meet_another_job.defer()
    stop = threading.Event()

    async def work() -> None:
        task = asyncio.create_task(run_worker(install_signal_handlers=False, concurrency=2))
        while not stop.is_set() and not task.done():
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # Periodic defers ran on asgiref's shared sync thread: close its connection too.
        await sync_to_async(connections.close_all)()

    thread = threading.Thread(target=asyncio.run, args=(work(),))
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while _states() != ["succeeded", "succeeded"]:
            assert "failed" not in _states(), "the two jobs did not run at the same time"
            assert time.monotonic() < deadline, f"jobs still {_states()}"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()


def test_the_standalone_default_is_several_and_can_be_set(monkeypatch):
    monkeypatch.delenv("WORKER_CONCURRENCY", raising=False)
    assert standalone_concurrency() > 1
    monkeypatch.setenv("WORKER_CONCURRENCY", "8")
    assert standalone_concurrency() == 8


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["worker", "--concurrency", "0"], None, "must be 1 or more"),
        (["worker"], "many", "must be a whole number"),
    ],
)
def test_a_bad_concurrency_is_refused_with_a_clear_message(monkeypatch, capsys, argv, env, message):
    if env is not None:
        monkeypatch.setenv("WORKER_CONCURRENCY", env)
    args = cli._parser().parse_args(argv)
    with pytest.raises(SystemExit) as stopped:
        args.handler(args)
    assert message in str(stopped.value)
