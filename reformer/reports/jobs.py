"""Report jobs: the hourly check that makes last month's reports on the 1st at 06:00 local
time, and the generation of one report (retried; the last attempt falls back to CSV)."""

from __future__ import annotations

import datetime as dt

from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from reformer.reports import actions, scheduled

GENERATE_ATTEMPTS = 3


@app.periodic(cron="5 * * * *", periodic_id="reports-monthly")
@app.task(name="reports.schedule_monthly", queueing_lock="reports.schedule_monthly")
def schedule_monthly_reports(timestamp: int) -> int:
    now = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return len(actions.schedule_monthly(now=now))


@app.task(
    name="reports.generate",
    pass_context=True,
    retry=RetryStrategy(
        max_attempts=GENERATE_ATTEMPTS - 1,
        wait=20,
        retry_exceptions=[actions.ReportPdfFailed],
    ),
)
def generate_report(context: JobContext, report_id: int) -> None:
    attempt = context.job.attempts
    actions.generate(report_id, attempt=attempt, final=attempt >= GENERATE_ATTEMPTS - 1)


@app.periodic(cron="10 * * * *", periodic_id="reports-recurring")
@app.task(name="reports.schedule_recurring", queueing_lock="reports.schedule_recurring")
def schedule_recurring_reports(timestamp: int) -> int:
    now = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return len(scheduled.schedule_recurring(now=now))


@app.task(name="reports.generate_scheduled", retry=RetryStrategy(max_attempts=3, wait=20))
def generate_scheduled(report_id: int) -> None:
    scheduled.generate_scheduled(report_id)
