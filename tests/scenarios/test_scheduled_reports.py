"""PHX-25 criterion 6: daily and weekly reports an owner schedules, made by the periodic
job in the studio's time zone and emailed through the outbox by the real worker, once per
report and period, to the staff the owner chose."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from reformer.core.errors import DomainError
from reformer.notifications.models import Message
from reformer.reports import jobs as report_jobs
from reformer.reports import scheduled
from reformer.reports.models import Report, ReportSchedule
from tests.analytics import dataset

EDT = dt.timezone(dt.timedelta(hours=-4))
EST = dt.timezone(dt.timedelta(hours=-5))


def _tick(jobs, clock, moment: dt.datetime) -> None:
    """The hourly periodic task at `moment`, then the worker runs what it queued."""
    with clock.at(moment):
        report_jobs.schedule_recurring_reports.defer(timestamp=int(moment.timestamp()))
        jobs.run()


@pytest.fixture
def data(world):
    with pytest.MonkeyPatch.context():
        import time_machine

        with time_machine.travel(dataset.NOW, tick=False):
            return dataset.build(world.a)


def test_a_daily_studio_report_goes_after_its_local_hour_once(jobs, clock, world, data, settings):
    settings.SITE_URL = "https://studio.test"
    tenant = world.a
    annex = tenant.other_studio
    schedule = scheduled.save_schedule(
        tenant.owner,
        name="Annex daily",
        frequency="daily",
        sections=["attendance", "summary"],
        recipient_ids=[tenant.owner.pk, tenant.manager.pk],
        hour=7,
        studio_id=annex.pk,
    )
    # 06:30 in New York on 11 March (10:30 UTC): not yet.
    _tick(jobs, clock, dt.datetime(2026, 3, 11, 6, 30, tzinfo=EDT))
    assert not Report.objects.filter(schedule=schedule).exists()
    # 07:05 there: yesterday's (10 March) figures, emailed to both.
    _tick(jobs, clock, dt.datetime(2026, 3, 11, 7, 5, tzinfo=EDT))
    (report,) = Report.objects.filter(schedule=schedule)
    assert (report.kind, report.period_start, report.period_end) == (
        "daily",
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 10),
    )
    assert report.studio == annex and report.status == Report.Status.READY
    assert report.pdf is not None
    sent = {m.to[0]: m for m in mail.outbox if m.subject.startswith("Annex daily")}
    assert set(sent) == {tenant.owner.user.email, tenant.manager.user.email}
    body = sent[tenant.owner.user.email].body
    assert "Tuesday 10 March 2026" in sent[tenant.owner.user.email].subject
    # s3 at the Annex on 10 March: 2 attended, 2 no-shows, 1 class, 4 of 5 places.
    assert "Attended: 2" in body and "No-shows: 2 (50%)" in body
    assert "Classes: 1" in body and "Utilisation: 80%" in body
    keys = set(
        Message.objects.filter(kind="scheduled_report").values_list("idempotency_key", flat=True)
    )
    assert keys == {
        f"scheduled-report:{report.pk}:{tenant.owner.pk}",
        f"scheduled-report:{report.pk}:{tenant.manager.pk}",
    }
    # Later ticks the same day (and a second run of the job) send nothing more.
    _tick(jobs, clock, dt.datetime(2026, 3, 11, 9, 5, tzinfo=EDT))
    assert Report.objects.filter(schedule=schedule).count() == 1
    assert Message.objects.filter(kind="scheduled_report").count() == 2


def test_a_weekly_report_covers_last_monday_to_sunday_on_its_weekday(jobs, clock, world, data):
    tenant = world.a
    schedule = scheduled.save_schedule(
        tenant.owner,
        name="Weekly numbers",
        frequency="weekly",
        sections=["attendance"],
        recipient_ids=[tenant.owner.pk],
        weekday=0,
        hour=7,
    )
    _tick(jobs, clock, dt.datetime(2026, 3, 8, 8, 0, tzinfo=EDT))  # a Sunday: not its day
    assert not Report.objects.filter(schedule=schedule).exists()
    _tick(jobs, clock, dt.datetime(2026, 3, 9, 7, 10, tzinfo=EDT))  # Monday 07:10
    (report,) = Report.objects.filter(schedule=schedule)
    assert (report.kind, report.period_start, report.period_end) == (
        "weekly",
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 8),
    )
    (email,) = [m for m in mail.outbox if m.subject.startswith("Weekly numbers")]
    # s1 on 2 March at the Main studio: 3 attended, 1 no-show (s4 was cancelled).
    assert "Attended: 3" in email.body and "No-shows: 1" in email.body
    assert "Revenue" not in email.body  # only the sections chosen


def test_only_staff_of_the_organization_receive_and_bad_input_changes_nothing(world):
    tenant = world.a
    good = {
        "name": "Daily",
        "frequency": "daily",
        "sections": ["summary"],
        "recipient_ids": [tenant.owner.pk],
    }
    cases = [
        ({"recipient_ids": [tenant.client.pk]}, "recipients"),
        ({"recipient_ids": [world.b.owner.pk]}, "recipients"),
        ({"recipient_ids": []}, "recipients"),
        ({"sections": ["gossip"]}, "sections"),
        ({"sections": []}, "sections"),
        ({"frequency": "hourly"}, "frequency"),
        ({"name": "  "}, "name"),
        ({"hour": "25"}, "hour"),
        ({"weekday": "-1"}, "weekday"),
    ]
    for change, field in cases:
        with pytest.raises(DomainError) as refused:
            scheduled.save_schedule(tenant.owner, **(good | change))
        assert refused.value.data["field"] == field, change
    assert not ReportSchedule.objects.exists()
    from reformer.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        scheduled.save_schedule(tenant.manager, **good)
    assert not ReportSchedule.objects.exists()
