"""A job worker in its own process, for tests and benchmarks that kill or compare workers.

    python tests/fakes/run_worker.py [concurrency]

Settings come from the environment (DATABASE_URL, EMAIL_PROVIDER, RESEND_*, TWILIO_*).
Periodic jobs are off unless PERIODIC=1, so only the jobs under test run.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")


def main() -> None:
    import django

    django.setup()
    from procrastinate.contrib.django import app
    from procrastinate.periodic import PeriodicRegistry

    from reformer.worker import load_before_jobs

    load_before_jobs()

    concurrency = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    worker_app = app.with_connector(app.connector.get_worker_connector())
    if os.environ.get("PERIODIC") != "1":
        worker_app.periodic_registry = PeriodicRegistry()

    async def run() -> None:
        async with worker_app.open_async():
            await worker_app.run_worker_async(
                concurrency=concurrency,
                fetch_job_polling_interval=0.2,
                install_signal_handlers=True,
                queues=["default"],
            )

    print("worker ready", flush=True)
    asyncio.run(run())


if __name__ == "__main__":
    main()
