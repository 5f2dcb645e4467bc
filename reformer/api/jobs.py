"""Housekeeping for the API's counters and stored answers."""

from __future__ import annotations

from procrastinate.contrib.django import app

from reformer.api.keys import forget_old_requests


@app.periodic(cron="*/10 * * * *")
@app.task(name="api.forget_old_requests", queueing_lock="api.forget_old_requests")
def forget_old_api_requests(timestamp: int) -> None:
    forget_old_requests()
