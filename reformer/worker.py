"""The Procrastinate worker: inside the web process (`reformer serve`) or alone (`reformer worker`).

Tasks live in each app's `jobs.py`; the worker also defers the periodic jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import sync_to_async
from django.db import connections

logger = logging.getLogger(__name__)

# Scheduled and retried jobs are found by polling (new jobs arrive by LISTEN/NOTIFY): a short
# interval keeps reminders and retries close to their time for the price of a cheap query.
FETCH_JOB_POLLING_INTERVAL = 0.5
ABORT_JOB_POLLING_INTERVAL = 1.0
# A job still running this long after shutdown starts is aborted (and retried if it can be).
SHUTDOWN_GRACEFUL_TIMEOUT = 20.0
# Jobs a worker runs at once. Most of a job's time is spent waiting (the database, an email or
# SMS provider), so a worker alone runs several: bench/notifications.py measured 3x the
# reminders per second with 8 against 1. The worker inside `reformer serve` runs one at a time:
# its jobs take connections from the web requests' pool.
STANDALONE_CONCURRENCY = 4
IN_PROCESS_CONCURRENCY = 1


def standalone_concurrency() -> int:
    """`reformer worker`'s default: WORKER_CONCURRENCY, else STANDALONE_CONCURRENCY."""
    return int(os.environ.get("WORKER_CONCURRENCY", STANDALONE_CONCURRENCY))


# A worker that lost its database is restarted after RESTART_DELAY_MIN seconds, doubling up
# to RESTART_DELAY_MAX while it keeps failing; a run that lasted STABLE_RUN seconds resets it.
RESTART_DELAY_MIN = 0.5
RESTART_DELAY_MAX = 30.0
STABLE_RUN = 60.0
# Jobs left "doing" by a worker that stopped sending heartbeats this long ago are retried
# (a worker killed with SIGKILL, a machine gone). Workers beat several times within it.
STALLED_AFTER_SECONDS = float(os.environ.get("WORKER_STALLED_AFTER_SECONDS", "30"))
HEARTBEAT_INTERVAL = min(10.0, STALLED_AFTER_SECONDS / 3)
# Telling staff that the worker is back is tried this often (a second apart).
RECOVERY_ALERT_ATTEMPTS = 3


def load_before_jobs() -> None:
    """Import what jobs need before the first one runs: messages carry links, and the first
    reverse() imports every view module (seconds on a busy machine), which would otherwise
    hold up the first batch of reminders."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imported for its side effect


async def run_worker(
    *,
    install_signal_handlers: bool,
    concurrency: int = IN_PROCESS_CONCURRENCY,
    on_connected: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run a worker until it is cancelled (graceful stop) or, if asked, until SIGINT/SIGTERM."""
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.django_connector import DjangoConnector

    # The worker needs an async connector of its own. The app's Django connector stays in
    # place so that web code keeps deferring inside its own transaction (ARCHITECTURE §7).
    connector = cast(DjangoConnector, app.connector)  # the app that contrib.django configures
    worker_app = app.with_connector(connector.get_worker_connector())
    await sync_to_async(load_before_jobs)()
    async with worker_app.open_async():
        await retry_stalled_jobs(worker_app)
        if on_connected is not None:
            await on_connected()
        sweeper = asyncio.create_task(_keep_retrying_stalled_jobs(worker_app))
        try:
            await worker_app.run_worker_async(
                concurrency=concurrency,
                fetch_job_polling_interval=FETCH_JOB_POLLING_INTERVAL,
                abort_job_polling_interval=ABORT_JOB_POLLING_INTERVAL,
                shutdown_graceful_timeout=SHUTDOWN_GRACEFUL_TIMEOUT,
                update_heartbeat_interval=HEARTBEAT_INTERVAL,
                stalled_worker_timeout=STALLED_AFTER_SECONDS,
                install_signal_handlers=install_signal_handlers,
            )
        finally:
            sweeper.cancel()


async def _keep_retrying_stalled_jobs(worker_app) -> None:
    # A worker that died with the database keeps a fresh-looking heartbeat for a while:
    # its jobs become "stalled" only later, so look again now and then.
    while True:
        await asyncio.sleep(STALLED_AFTER_SECONDS)
        with contextlib.suppress(Exception):
            await retry_stalled_jobs(worker_app)


async def retry_stalled_jobs(worker_app) -> int:
    """Jobs a dead worker left "doing" (its heartbeat stopped) go back to the queue. Tasks are
    safe to run twice (ARCHITECTURE §5), so a job cut off mid-run is never lost."""
    stalled = await worker_app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=STALLED_AFTER_SECONDS
    )
    for job in stalled:
        await worker_app.job_manager.retry_job(job)
    if stalled:
        logger.warning("Retried %d jobs left running by a stopped worker", len(stalled))
    return len(stalled)


async def run_worker_supervised(
    *, install_signal_handlers: bool, concurrency: int = IN_PROCESS_CONCURRENCY
) -> None:
    """`run_worker`, restarted with backoff whenever it stops by itself (Procrastinate stops
    its worker when the database restarts under it, and returns as if asked to stop), until
    it is cancelled or, with `install_signal_handlers`, until SIGINT/SIGTERM.

    While it is down, /healthz reports the stale heartbeat; once it is back, staff get an
    AdminAlert saying how long jobs waited."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    if install_signal_handlers:
        # Ours, not Procrastinate's: a stop it did not ask for must be told apart from one
        # the user asked for. Cancelling is Procrastinate's graceful stop.
        task = asyncio.current_task()
        assert task is not None

        def stop() -> None:
            stopping.set()
            task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
    delay = RESTART_DELAY_MIN
    down_since: float | None = None
    try:
        while True:
            started = loop.time()

            async def connected() -> None:
                nonlocal down_since
                if down_since is None:
                    return
                for attempt in range(RECOVERY_ALERT_ATTEMPTS):
                    try:
                        await asyncio.to_thread(_record_recovery, time.time() - down_since)
                        break
                    except Exception:  # the alert must never stop the worker
                        if attempt + 1 < RECOVERY_ALERT_ATTEMPTS:
                            await asyncio.sleep(1.0)
                        else:
                            logger.exception("Could not tell staff that the job worker is back")
                down_since = None

            try:
                await run_worker(
                    install_signal_handlers=False, concurrency=concurrency, on_connected=connected
                )
                problem = "it stopped by itself (its database connection was lost)"
            except asyncio.CancelledError:
                if stopping.is_set():
                    return
                raise
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"
            if loop.time() - started >= STABLE_RUN:
                delay = RESTART_DELAY_MIN
            if down_since is None:
                down_since = time.time()
            logger.error("The job worker stopped (%s); restarting in %.1f s", problem, delay)
            await asyncio.sleep(delay)
            # Periodic defers go through the Django connector, on asgiref's shared sync
            # thread. Its connection died with the database and Django does not reconnect a
            # closed connection by itself: without this, every restart stopped again at the
            # first periodic defer and jobs crawled (a few per restart). That thread runs one
            # call at a time, so nothing is using the connection while it is closed.
            with contextlib.suppress(Exception):
                await sync_to_async(connections.close_all)()
            delay = min(delay * 2, RESTART_DELAY_MAX)
    finally:
        if install_signal_handlers:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


def _record_recovery(seconds_down: float) -> None:
    """Raise an AdminAlert once the database is reachable again (it was not while down).
    Raises if the database is still out of reach: the supervisor then retries later."""
    from reformer.core.alerts import WORKER_RESTARTED, raise_alert

    # This thread's connection may predate the database restart: a dead connection that
    # saw no error yet is not "unusable" to close_old_connections, so start afresh.
    connections.close_all()
    try:
        # Organization-less: a system alert, shown to the staff who see those.
        raise_alert(
            WORKER_RESTARTED,
            f"Background jobs (emails, waitlist promotions) paused for about "
            f"{round(seconds_down)} s because the database was unreachable; the job worker "
            "reconnected and is catching up. Nothing was lost. If this repeats, check the "
            "database server.",
            organization_id=None,
        )
    finally:
        connections.close_all()


class InProcessWorker:
    """A worker running as a task on the current event loop (the web server's)."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Signals belong to the web server, which shuts the worker down through stop().
        self._task = asyncio.create_task(run_worker_supervised(install_signal_handlers=False))
        self._task.add_done_callback(self._report_crash)

    async def stop(self) -> None:
        if self._task is None or self._task.done():
            return
        # Cancelling makes Procrastinate stop gracefully: finish or abort running jobs and
        # unregister the worker, then close its connection pool.
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._task, SHUTDOWN_GRACEFUL_TIMEOUT + 10)

    @staticmethod
    def _report_crash(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("The in-process job worker stopped", exc_info=error)
