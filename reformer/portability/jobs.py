"""Export jobs: build one, and delete expired files."""

from __future__ import annotations

from procrastinate.contrib.django import app

from reformer.portability import actions


@app.task(name="portability.build_export")
def build_export(export_id: int) -> None:
    actions.build(export_id)


@app.periodic(cron="17 * * * *")
@app.task(name="portability.expire_exports", queueing_lock="portability.expire_exports")
def expire_exports(timestamp: int) -> None:
    actions.expire_old_exports()
