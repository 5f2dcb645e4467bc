"""Reports over HTTP: the archive, requesting, settings, downloads and emailed links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reformer.reports import actions
from reformer.reports.models import Report, ReportPreference


@pytest.fixture
def ready(world):
    report = actions.request_report(world.a.owner, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    return actions.generate(report.pk)


def test_the_archive_lists_reports_and_opens_the_pdf(client, world, ready):
    client.force_login(world.a.owner.user)
    page = client.get(reverse("reports:list"))
    assert page.status_code == 200 and b"Open PDF" in page.content
    response = client.get(reverse("reports:download", args=[ready.pk, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(reverse("reports:download", args=[ready.pk, "csv"])).status_code == 404


@pytest.mark.parametrize(("who", "status"), [("b_owner", 404), ("manager", 403), ("client", 403)])
def test_others_cannot_open_a_report(client, world, ready, who, status):
    actor = world.b.owner if who == "b_owner" else world.a.members[who]
    client.force_login(actor.user)
    assert client.get(reverse("reports:download", args=[ready.pk, "pdf"])).status_code == status


def test_the_emailed_link_works_without_signing_in_and_refuses_tampering(client, world, ready):
    token = actions.download_token(ready, world.a.owner)
    response = client.get(reverse("reports:signed_download", args=[token]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert (
        client.get(reverse("reports:signed_download", args=[token[:-2] + "xx"])).status_code == 404
    )
    world.a.owner.active = False
    world.a.owner.save()
    assert client.get(reverse("reports:signed_download", args=[token])).status_code == 404


def test_requesting_a_report_from_the_page(client, world):
    client.force_login(world.a.owner.user)
    response = client.post(reverse("reports:request"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == Report.Status.PENDING and report.requested_by == world.a.owner
    row = client.get(reverse("reports:status", args=[report.pk]))
    assert b"Being prepared" in row.content and b'data-hx-trigger="every 2s"' in row.content
    bad = client.post(reverse("reports:request"), {"start": "2026-03-31", "end": "2026-03-01"})
    assert bad.status_code == 422
    assert b"The end date must be on or after the start date." in bad.content
    assert Report.objects.count() == 1
    other = client.post(
        reverse("reports:request"),
        {"start": "2026-03-01", "end": "2026-03-31", "studio": world.b.studio.pk},
    )
    assert other.status_code == 422 and Report.objects.count() == 1


def test_opting_out_from_the_settings(client, world):
    client.force_login(world.a.owner.user)
    client.post(reverse("reports:settings"), {"studio_reports": "on"})
    pref = ReportPreference.objects.get(membership=world.a.owner)
    assert (pref.monthly_email, pref.studio_reports) == (False, True)


def test_owners_schedule_daily_and_weekly_reports_from_the_page(client, world):
    from reformer.reports.models import ReportSchedule

    tenant = world.a
    client.force_login(tenant.owner.user)
    page = client.get("/reports/")
    assert "Daily and weekly reports" in page.content.decode()
    assert tenant.client.user.display_name not in page.content.decode().split("Send to")[1]
    bad = client.post(
        "/reports/schedules/",
        {"name": "Daily", "frequency": "daily", "sections": ["summary"], "recipients": []},
    )
    assert bad.status_code == 422 and "staff of the organization" in bad.content.decode()
    assert "Daily" in bad.content.decode()  # what was typed stays
    for studio in ("abc", "0"):
        bad = client.post(
            "/reports/schedules/",
            {
                "name": "Daily",
                "frequency": "daily",
                "sections": ["summary"],
                "recipients": [tenant.owner.pk],
                "studio": studio,
            },
        )
        assert bad.status_code == 422
    assert not ReportSchedule.objects.exists()
    made = client.post(
        "/reports/schedules/",
        {
            "name": "Monday numbers",
            "frequency": "weekly",
            "weekday": "0",
            "hour": "8",
            "sections": ["summary", "clients"],
            "recipients": [tenant.owner.pk, tenant.manager.pk],
            "studio": tenant.studio.pk,
        },
    )
    assert made.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert (schedule.frequency, schedule.weekday, schedule.hour) == ("weekly", 0, 8)
    assert schedule.sections == ["summary", "clients"] and schedule.studio == tenant.studio
    listed = client.get("/reports/").content.decode()
    assert "Monday numbers" in listed and "every Monday at 08:00" in listed
    # Another organization's owner cannot stop it; a manager has no reports page.
    other = client.__class__()
    other.force_login(world.b.owner.user)
    assert other.post(f"/reports/schedules/{schedule.pk}/remove/").status_code == 404
    manager = client.__class__()
    manager.force_login(tenant.manager.user)
    assert manager.post("/reports/schedules/", {"name": "x"}).status_code == 403
    assert client.post(f"/reports/schedules/{schedule.pk}/remove/").status_code == 302
    assert not ReportSchedule.objects.get().active


def test_a_period_that_has_not_started_is_refused_and_one_running_is_to_date(client, world):
    """A custom report for next month claimed every client "lost"; it is refused now, and a
    month still running is reported up to today, titled "to date"."""
    from reformer.core.timezones import local_today

    today = local_today(world.a.organization.time_zone)
    tomorrow = today + dt.timedelta(days=1)
    client.force_login(world.a.owner.user)
    future = client.post(
        reverse("reports:request"),
        {"start": tomorrow.isoformat(), "end": (tomorrow + dt.timedelta(days=30)).isoformat()},
    )
    assert future.status_code == 422
    assert b"That period has not started yet" in future.content
    assert not Report.objects.exists()

    running = client.post(
        reverse("reports:request"),
        {"start": today.replace(day=1).isoformat(), "end": tomorrow.isoformat()},
    )
    assert running.status_code == 302
    report = actions.generate(Report.objects.get().pk)
    assert (report.period_start, report.period_end) == (today.replace(day=1), today)
    assert report.data["to_date"] is True
    assert "(to date)" in actions.render.title(report.data)
