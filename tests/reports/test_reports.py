"""PHX-20: monthly reports made by the job, their PDF, email, archive and fallbacks."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from pypdf import PdfReader

from reformer.billing.models import Payment
from reformer.core.models import AdminAlert
from reformer.notifications import attachments
from reformer.notifications.models import Message
from reformer.reports import actions, render
from reformer.reports.models import Report, ReportPreference
from tests import factories
from tests.analytics import dataset

UTC = dt.UTC
# 06:00 in New York (EDT) on 1 April 2026.
FIRST_AT_SIX = dt.datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


def _text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def _jobs(task: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM procrastinate_jobs WHERE task_name = %s", [task])
        return cursor.fetchone()[0]


@pytest.fixture
def march(world):
    with time_machine.travel(dataset.NOW, tick=False):
        data = dataset.build(world.a)
    return data


def test_the_job_makes_last_months_report_on_the_1st_at_six_local_once(world, march):
    assert actions.schedule_monthly(now=FIRST_AT_SIX - dt.timedelta(minutes=1)) == []
    created = actions.schedule_monthly(now=FIRST_AT_SIX)
    # Tenant b's owner gets theirs too; each organization one consolidated report.
    mine = [r for r in created if r.organization_id == world.a.organization.pk]
    assert [(r.period_start, r.period_end, r.studio) for r in mine] == [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31), None)
    ]
    assert _jobs("reports.generate") == len(created)
    assert actions.schedule_monthly(now=FIRST_AT_SIX + dt.timedelta(hours=1)) == []
    # Past the catch-up days nothing new is made.
    assert actions.schedule_monthly(now=FIRST_AT_SIX + dt.timedelta(days=5)) == []


@pytest.mark.scenario("PHX-20", "Generate monthly revenue report")
def test_the_report_has_every_section_and_is_emailed_to_owners(world, march):
    second_owner = factories.MembershipFactory(organization=world.a.organization, role="owner")
    (report,) = [
        r
        for r in actions.schedule_monthly(now=FIRST_AT_SIX)
        if r.organization_id == world.a.organization.pk
    ]
    report = actions.generate(report.pk)
    assert report.status == Report.Status.READY
    text = _text(bytes(report.pdf))
    for heading in (
        "Summary",
        "Revenue",
        "Bookings and attendance",
        "Class utilisation",
        "Top classes",
        "Instructors",
        "Studio by studio",
    ):
        assert heading in text, heading
    head = report.data["headline"]
    # Hand-computed from dataset.py for March (New York time).
    assert head["revenue"] == {"USD": "125.50"}
    assert (head["bookings"], head["cancellations"]) == (11, 3)
    assert head["cancellation_rate"] == pytest.approx(3 / 14)
    assert (head["attended"], head["no_shows"]) == (5, 3)
    assert head["utilisation"] == pytest.approx(11 / 35)
    assert (head["new_clients"], head["lost_clients"]) == (2, 0)
    assert "$125.50" in text and "Alpha: business report, March 2026" in text
    assert "Main" in text and "Annex" in text
    messages = Message.objects.filter(kind="business_report", organization=world.a.organization)
    assert {m.recipient for m in messages} == {world.a.owner.user, second_owner.user}
    assert all("/reports/link/" in m.body for m in messages)
    # Running the job again sends nothing more.
    actions.generate(report.pk)
    assert messages.count() == 2


@pytest.mark.scenario("PHX-20", "Skip report if owner opted out")
def test_an_owner_who_opted_out_gets_nothing_and_it_is_logged(world, march, caplog):
    ReportPreference.objects.create(
        organization=world.a.organization, membership=world.a.owner, monthly_email=False
    )
    with caplog.at_level(logging.INFO, logger="reformer.reports.actions"):
        created = actions.schedule_monthly(now=FIRST_AT_SIX)
    assert all(r.organization_id != world.a.organization.pk for r in created)
    assert "Owner opted out of monthly reports" in caplog.text


def test_per_studio_reports_on_request(world, march):
    ReportPreference.objects.create(
        organization=world.a.organization, membership=world.a.owner, studio_reports=True
    )
    created = [
        r
        for r in actions.schedule_monthly(now=FIRST_AT_SIX)
        if r.organization_id == world.a.organization.pk
    ]
    assert sorted(str(r.studio) for r in created) == ["None", "alpha Annex", "alpha Main"]
    annex = next(r for r in created if r.studio == world.a.other_studio)
    annex = actions.generate(annex.pk)
    assert annex.data["headline"]["bookings"] == 4
    assert "Studio by studio" not in _text(bytes(annex.pdf))


@pytest.mark.scenario("PHX-20", "Include year-over-year comparison")
def test_year_over_year_when_a_year_of_history_exists(world, march):
    session = factories.ClassSessionFactory(
        room=world.a.room,
        class_type=world.a.class_type,
        starts_at=dt.datetime(2025, 3, 10, 14, tzinfo=UTC),
        ends_at=dt.datetime(2025, 3, 10, 15, tzinfo=UTC),
        booked_count=0,
    )
    assert session.pk
    Payment.objects.create(
        organization=world.a.organization,
        client=world.a.client,
        amount=Decimal("100.00"),
        status="succeeded",
        created_at=dt.datetime(2025, 3, 5, 15, tzinfo=UTC),
    )
    report = actions.generate(
        actions.request_report(world.a.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).pk
    )
    assert report.data["has_last_year"] is True
    assert report.data["last_year"]["revenue"] == {"USD": "100.00"}
    text = _text(bytes(report.pdf))
    assert "+25.5% vs last year" in text
    assert "Last year" in text  # the comparison line of the daily chart


@pytest.mark.scenario("PHX-20", "Handle new studio with no data")
def test_a_new_studio_gets_a_welcome_report(world):
    report = actions.generate(
        actions.request_report(world.a.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).pk
    )
    text = _text(bytes(report.pdf))
    assert "Welcome to your first Reformer report" in text
    assert "N/A - Insufficient data" in text
    assert report.data["has_last_year"] is False


def test_names_and_euros_render_in_the_pdf(world):
    org = world.a.organization
    org.name = "Zoë's Pilates"
    org.save()
    Payment.objects.create(
        organization=org,
        client=world.a.client,
        amount=Decimal("1234.50"),
        currency="EUR",
        status="succeeded",
        created_at=dt.datetime(2026, 3, 5, 15, tzinfo=UTC),
    )
    report = actions.generate(
        actions.request_report(world.a.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).pk
    )
    text = _text(bytes(report.pdf))
    assert "Zoë's Pilates" in text and "€1,234.50" in text


@pytest.mark.scenario("PHX-20", "Handle PDF generation failure")
def test_a_pdf_failure_retries_then_falls_back_to_csv_and_alerts(world, march, monkeypatch):
    calls = []

    def broken(data, *, compact=False):
        calls.append(compact)
        raise MemoryError("out of memory")

    monkeypatch.setattr(render, "render_pdf", broken)
    report = actions.request_report(world.a.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    with pytest.raises(actions.ReportPdfFailed):
        actions.generate(report.pk, attempt=0, final=False)
    with pytest.raises(actions.ReportPdfFailed):
        actions.generate(report.pk, attempt=1, final=False)
    report = actions.generate(report.pk, attempt=2, final=True)
    assert calls == [False, True, True]  # retries ask for the compact document
    assert report.status == Report.Status.FALLBACK and report.pdf is None
    csv_text = bytes(report.csv).decode("utf-8-sig")
    assert "summary,bookings,11" in csv_text
    alert = AdminAlert.objects.get(code="reports.pdf_failed")
    assert "sent as CSV" in alert.message
    (message,) = Message.objects.filter(kind="business_report")
    assert "could not make the PDF" in message.body and message.recipient == world.a.owner.user
    assert message.context["attachments"] == [{"kind": "report_csv", "id": report.pk}]
    (attached,) = attachments.resolve(message.context)
    assert attached.mimetype == "text/csv" and attached.content == bytes(report.csv)


def test_a_report_too_large_to_attach_goes_as_a_link(world, march, monkeypatch):
    monkeypatch.setattr(actions, "ATTACHMENT_MAX_BYTES", 100)
    report = actions.generate(
        actions.request_report(world.a.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).pk
    )
    (message,) = Message.objects.filter(kind="business_report")
    assert not message.context.get("attachments")
    assert "too large to attach; download it: " in message.body
    assert "/reports/link/" in message.body
    assert actions.attached_file(report.pk, "pdf") is None


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 3, 1), "on or after"),
        (dt.date(2020, 1, 1), dt.date(2026, 1, 1), "at most two years"),
    ],
)
def test_custom_ranges_are_checked(world, start, end, error):
    with pytest.raises(actions.InvalidReportRange, match=error):
        actions.request_report(world.a.owner, start, end)
    assert not Report.objects.exists()


def test_managers_cannot_request_reports(world):
    with pytest.raises(actions.permissions.PermissionDenied):
        actions.request_report(world.a.manager, dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.mark.scenario("PHX-25", "Handle large dataset performance")
def test_a_custom_report_is_emailed_to_who_asked(world, march):
    report = actions.generate(
        actions.request_report(world.a.owner, dt.date(2026, 1, 1), dt.date(2026, 3, 31)).pk
    )
    assert report.status == Report.Status.READY
    (message,) = Message.objects.filter(kind="business_report")
    assert message.recipient == world.a.owner.user
    assert "1 Jan 2026 to 31 Mar 2026" in message.subject


def test_every_instructor_is_listed_and_each_slot_names_its_studio_and_zone(world):
    """The Instructors table listed the first 5 of 8 without a word; "Top classes" merged
    Monday 9:00 in two studios into one slot under a header naming one zone."""
    tenant = world.a
    tenant.other_studio.time_zone = "Europe/London"
    tenant.other_studio.save(update_fields=["time_zone"])
    annex_room = factories.RoomFactory(studio=tenant.other_studio, capacity=5)
    team = [
        factories.MembershipFactory(organization=tenant.organization, role="instructor")
        for _ in range(7)
    ]
    for day, member in enumerate(team):
        factories.ClassSessionFactory(
            room=tenant.room,
            class_type=tenant.class_type,
            instructor=member,
            starts_at=dt.datetime(2026, 3, 2 + day, 15, tzinfo=UTC),
            ends_at=dt.datetime(2026, 3, 2 + day, 16, tzinfo=UTC),
            booked_count=2,
        )
    # Monday 9:00 local in each studio: 13:00 UTC in New York (EDT from 8 March), 9:00 in London.
    for room, hour in ((tenant.room, 13), (annex_room, 9)):
        factories.ClassSessionFactory(
            room=room,
            class_type=tenant.class_type,
            starts_at=dt.datetime(2026, 3, 16, hour, tzinfo=UTC),
            ends_at=dt.datetime(2026, 3, 16, hour + 1, tzinfo=UTC),
            booked_count=3,
        )
    report = actions.generate(
        actions.request_report(tenant.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).pk
    )
    names = {row[0] for row in report.data["instructors"]}
    assert {m.user.display_name for m in team} <= names and len(names) >= 7
    mondays = [r for r in report.data["top_slots"] if r[1] == "Monday 09:00"]
    assert sorted((r[4], r[5], r[2]) for r in mondays) == [
        (tenant.other_studio.name, "Europe/London", 3),
        (tenant.studio.name, "America/New_York", 3),
    ]
    text = _text(bytes(report.pdf))
    assert "times in America/New_York" not in text
    assert "each studio's times in its own zone" in text
    for member in team:
        assert member.user.display_name in text
    assert f"{tenant.other_studio.name} (Europe/London)" in text
