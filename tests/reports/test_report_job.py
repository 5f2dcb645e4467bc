"""PHX-20 end to end: the periodic task, the real procrastinate worker, the outbox, the email."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from reformer.reports import jobs
from reformer.reports.models import Report
from tests import factories
from tests.analytics import dataset
from tests.concurrency.conftest import run_worker_once

pytestmark = pytest.mark.django_db(transaction=True)
FIRST_AT_SIX = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.scenario("PHX-20", "Generate monthly revenue report")
@pytest.mark.scenario("PHX-20", "Generate multi-studio report")
def test_the_monthly_job_emails_one_consolidated_pdf_per_owner(world, clean_job_tables, settings):
    settings.SITE_URL = "https://studio.test"
    tenant = world.a
    third = factories.StudioFactory(organization=tenant.organization, name="alpha Harbour")
    room = factories.RoomFactory(studio=third, capacity=8)
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build(tenant)
    factories.ClassSessionFactory(
        room=room,
        class_type=tenant.class_type,
        starts_at=dt.datetime(2026, 3, 12, 22, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 3, 12, 23, tzinfo=dt.UTC),
        capacity=8,
    )
    assert jobs.schedule_monthly_reports(int(FIRST_AT_SIX.timestamp())) == 2  # alpha and beta
    run_worker_once()  # generates the reports, then sends the outbox messages
    report = Report.objects.get(organization=tenant.organization)
    assert report.status == Report.Status.READY and report.studio is None
    rows = {row[0]: row for row in report.data["headline"]["by_studio"]}
    assert set(rows) == {"alpha Main", "alpha Annex", "alpha Harbour"}
    assert rows["alpha Harbour"][1] == 0 and rows["alpha Annex"][1] == 4
    (email,) = [m for m in mail.outbox if m.to == [tenant.owner.user.email]]
    assert email.subject == "Alpha: business report, March 2026"
    # PHX-20 requirement 4: the PDF itself is attached (the link stays for convenience).
    ((name, content, mimetype),) = email.attachments
    assert mimetype == "application/pdf" and content == bytes(report.pdf)
    assert name == "reformer-report-all-studios-2026-03-01-2026-03-31.pdf"
    assert "It is attached (PDF)" in email.body
    link = re.search(r"https://studio\.test(/reports/link/\S+/)", email.body)[1]
    response = Client().get(link)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
