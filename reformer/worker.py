"""The Procrastinate worker: inside the web process (`reformer serve`) or alone (`reformer worker`).

Tasks live in each app's `jobs.py`; the worker also defers the periodic jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

logger = logging.getLogger(__name__)

# Scheduled and retried jobs are found by polling (new jobs arrive by LISTEN/NOTIFY): a short
# interval keeps reminders and retries close to their time for the price of a cheap query.
FETCH_JOB_POLLING_INTERVAL = 0.5
ABORT_JOB_POLLING_INTERVAL = 1.0
# A job still running this long after shutdown starts is aborted (and retried if it can be).
SHUTDOWN_GRACEFUL_TIMEOUT = 20.0


async def run_worker(*, install_signal_handlers: bool) -> None:
    """Run a worker until it is cancelled (graceful stop) or, if asked, until SIGINT/SIGTERM."""
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.django_connector import DjangoConnector

    # The worker needs an async connector of its own. The app's Django connector stays in
    # place so that web code keeps deferring inside its own transaction (ARCHITECTURE §7).
    connector = cast(DjangoConnector, app.connector)  # the app that contrib.django configures
    worker_app = app.with_connector(connector.get_worker_connector())
    async with worker_app.open_async():
        await worker_app.run_worker_async(
            fetch_job_polling_interval=FETCH_JOB_POLLING_INTERVAL,
            abort_job_polling_interval=ABORT_JOB_POLLING_INTERVAL,
            shutdown_graceful_timeout=SHUTDOWN_GRACEFUL_TIMEOUT,
            install_signal_handlers=install_signal_handlers,
        )


class InProcessWorker:
    """A worker running as a task on the current event loop (the web server's)."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Signals belong to the web server, which shuts the worker down through stop().
        self._task = asyncio.create_task(run_worker(install_signal_handlers=False))
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
