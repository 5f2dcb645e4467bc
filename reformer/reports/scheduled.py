"""Scheduled reports (PHX-25 criterion 6): an owner chooses which sections, daily or weekly,
at what local hour, and which staff of the organization receive them.

The hourly job `reports.schedule_recurring` makes each schedule's report once per period
(unique per schedule and period start) in the studio's time zone (the organization's for an
all-studios schedule): a daily one after its hour for yesterday, a weekly one on its weekday
after its hour for the Monday-to-Sunday week before. `reports.generate_scheduled` gathers
the figures (reports.data, the monthly report's definitions), keeps a PDF in the archive,
and emails each recipient the chosen sections through the outbox, keyed per report (that
is, per schedule and period) and recipient, so nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.analytics.periods import Period
from reformer.core import audit, permissions
from reformer.core.errors import VALIDATION, DomainError, NotFound
from reformer.core.jobs import defer_in_transaction
from reformer.core.money import format_money
from reformer.core.timezones import zone
from reformer.notifications.actions import queue_email
from reformer.reports import data as report_data
from reformer.reports import render
from reformer.reports.models import Report, ReportSchedule
from reformer.studios.models import Studio

logger = logging.getLogger(__name__)

KIND_OF: dict[str, str] = {
    ReportSchedule.Frequency.DAILY: Report.Kind.DAILY,
    ReportSchedule.Frequency.WEEKLY: Report.Kind.WEEKLY,
}


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(VALIDATION, message, field=field)


def _int(value, *, field: str, label: str, low: int, high: int) -> int:
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise _invalid(f"{label} must be a whole number from {low} to {high}.", field)
    return int(text)


def _recipients(actor: Membership, ids) -> list[Membership]:
    try:
        wanted = {int(str(i)) for i in ids or [] if str(i).isascii() and str(i).isdigit()}
    except ValueError:
        wanted = set()
    if not wanted or len(wanted) != len(set(map(str, ids or []))):
        raise _invalid("Choose who receives it: staff of the organization.", "recipients")
    members = list(
        Membership.objects.filter(
            organization_id=actor.organization_id, pk__in=wanted, active=True
        ).select_related("user")
    )
    if len(members) != len(wanted) or not all(permissions.is_staff(m) for m in members):
        raise _invalid(
            "Reports go to active staff of this organization only (not clients).", "recipients"
        )
    return members


def save_schedule(
    actor: Membership,
    *,
    name: str,
    frequency: str,
    sections,
    recipient_ids,
    weekday=0,
    hour=7,
    studio_id: int | None = None,
    schedule: ReportSchedule | None = None,
) -> ReportSchedule:
    """Create (or change) a schedule. Owners only (VIEW_REPORTS)."""
    if schedule is not None:
        permissions.require_same_organization(actor, schedule, "report schedule")
    permissions.require(actor, permissions.VIEW_REPORTS)
    studio = None
    if studio_id is not None:
        studio = Studio.objects.filter(pk=studio_id, organization_id=actor.organization_id).first()
        if studio is None:
            raise NotFound("studio")
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise _invalid("Give the report a name (up to 80 characters).", "name")
    if frequency not in ReportSchedule.Frequency.values:
        raise _invalid("Choose daily or weekly.", "frequency")
    chosen = [s for s in ReportSchedule.SECTIONS if s in set(sections or [])]
    if not chosen or len(chosen) != len(set(sections or [])):
        raise _invalid("Choose at least one of the listed reports.", "sections")
    weekday_n = _int(weekday, field="weekday", label="The weekday", low=0, high=6)
    hour_n = _int(hour, field="hour", label="The hour", low=0, high=23)
    members = _recipients(actor, recipient_ids)
    with transaction.atomic(durable=True):
        if schedule is None:
            schedule = ReportSchedule(organization_id=actor.organization_id, created_by=actor)
        schedule.studio = studio
        schedule.name = name
        schedule.frequency = frequency
        schedule.weekday = weekday_n
        schedule.hour = hour_n
        schedule.sections = chosen
        schedule.active = True
        schedule.save()
        schedule.recipients.set(members)
        audit.record(
            actor,
            "reports.schedule.saved",
            schedule,
            frequency=frequency,
            sections=chosen,
            recipients=[m.pk for m in members],
        )
    return schedule


def remove_schedule(actor: Membership, schedule: ReportSchedule) -> None:
    permissions.require_same_organization(actor, schedule, "report schedule")
    permissions.require(actor, permissions.VIEW_REPORTS)
    with transaction.atomic(durable=True):
        audit.record(actor, "reports.schedule.removed", schedule, name=schedule.name)
        ReportSchedule.objects.filter(pk=schedule.pk).update(active=False)


def schedules_for(actor: Membership):
    permissions.require(actor, permissions.VIEW_REPORTS)
    return (
        ReportSchedule.objects.filter(organization_id=actor.organization_id, active=True)
        .select_related("studio")
        .prefetch_related("recipients__user")
    )


def due_period(schedule: ReportSchedule, now: dt.datetime) -> Period | None:
    """The period to report now in the schedule's local time, or None when not due."""
    tz_name = (schedule.studio or schedule.organization).time_zone
    local = now.astimezone(zone(tz_name))
    if local.hour < schedule.hour:
        return None
    today = local.date()
    if schedule.frequency == ReportSchedule.Frequency.DAILY:
        yesterday = today - dt.timedelta(days=1)
        return Period("custom", yesterday, yesterday)
    if local.weekday() != schedule.weekday:
        return None
    last_sunday = today - dt.timedelta(days=today.weekday() + 1)
    return Period("custom", last_sunday - dt.timedelta(days=6), last_sunday)


def schedule_recurring(*, now: dt.datetime | None = None) -> list[Report]:
    """Make (and queue) every scheduled report due now and not made yet. Safe to run often."""
    from reformer.reports.jobs import generate_scheduled

    now = now or timezone.now()
    made = []
    for schedule in ReportSchedule.objects.filter(active=True).select_related(
        "organization", "studio"
    ):
        period = due_period(schedule, now)
        if period is None:
            continue
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    organization_id=schedule.organization_id,
                    studio=schedule.studio,
                    schedule=schedule,
                    kind=KIND_OF[schedule.frequency],
                    period_start=period.start,
                    period_end=period.end,
                )
                defer_in_transaction(generate_scheduled, report_id=report.pk)
        except IntegrityError:
            continue  # made already for this period
        made.append(report)
    return made


def _percent(value) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.0f}%"


def _revenue(amounts) -> str:
    if amounts is None:
        return "shown for the whole organization only"
    if not amounts:
        return "0"
    return " + ".join(format_money(Decimal(v), c) for c, v in amounts.items())


def section_lines(data: dict, section: str) -> list[str]:
    """One section of the email, as lines of text."""
    h = data["headline"]
    if section == "summary":
        return [
            f"Revenue: {_revenue(h['revenue'])}",
            f"Bookings: {h['bookings']}",
            f"Attendance rate: {_percent(h['attendance_rate'])}",
            f"Utilisation: {_percent(h['utilisation'])}",
            f"Classes: {h['classes']}",
        ]
    if section == "attendance":
        return [
            f"Attended: {h['attended']}",
            f"No-shows: {h['no_shows']} ({_percent(h['no_show_rate'])})",
            f"Cancellations: {h['cancellations']} ({_percent(h['cancellation_rate'])})",
        ]
    if section == "revenue":
        rows = data["revenue_by_kind"] + data["revenue_by_product"]
        return [f"{name}: {amount}" for name, amount in rows] or ["No revenue in this period."]
    if section == "clients":
        return [
            f"Active clients: {h['active_clients']}",
            f"New clients: {h['new_clients']}",
            f"Lost clients: {h['lost_clients']}",
        ]
    if section == "classes":
        lines = [f"{row[0]}: {row[1]} classes" for row in data["class_types"]]
        lines += [
            f"Busiest: {row[0]}, {row[1]}" + (f" at {row[4]}" if len(row) >= 6 else "")
            for row in data["top_slots"][:3]
        ]
        return lines or ["No classes in this period."]
    if section == "instructors":
        return [
            f"{name}: {classes} classes, fill {_percent(fill)}, no-shows {_percent(no_show)}"
            for name, classes, fill, _attended, no_show in data["instructors"]
        ] or ["No classes taught in this period."]
    return []


def _period_text(report: Report) -> str:
    if report.period_start == report.period_end:
        return f"{report.period_start:%A} {report.period_start.day} {report.period_start:%B %Y}"
    return (
        f"{report.period_start.day} {report.period_start:%b} to "
        f"{report.period_end.day} {report.period_end:%b %Y}"
    )


def generate_scheduled(report_id: int) -> Report | None:
    """Gather a scheduled report's figures, archive its PDF, email the chosen sections to
    each recipient still on staff. Safe to run twice."""
    report = (
        Report.objects.select_related("organization", "studio", "schedule")
        .filter(pk=report_id)
        .first()
    )
    if report is None or report.schedule is None or report.is_available:
        return report
    schedule = report.schedule
    period = Period("custom", report.period_start, report.period_end)
    try:
        figures = report_data.build(report.organization, report.studio, period)
    except report_data.NoOwner:
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.FAILED, error="The organization has no active owner."
        )
        return report
    try:
        pdf = render.render_pdf(figures, compact=True)
    except Exception:  # the email carries the figures; the archive copy is a nicety
        logger.exception("scheduled report %s: PDF failed", report.pk)
        pdf = None
    where = report.studio.name if report.studio else report.organization.name
    subject = f"{schedule.name}: {where}, {_period_text(report)}"
    parts = []
    for section in schedule.sections:
        title = ReportSchedule.SECTIONS.get(section, section).split(":")[0]
        parts.append(
            title + "\n" + "\n".join(f"  {line}" for line in section_lines(figures, section))
        )
    archive = settings.SITE_URL + reverse("reports:list")
    with transaction.atomic():
        report.data = figures
        report.pdf = pdf
        report.csv = render.render_csv(figures) if pdf is None else None
        report.status = Report.Status.READY if pdf is not None else Report.Status.FALLBACK
        report.generated_at = timezone.now()
        report.save()
        recipients = [
            m
            for m in schedule.recipients.select_related("user")
            if m.active and permissions.is_staff(m)
        ]
        for member in recipients:
            body = (
                f"Hello {member.user.display_name},\n\n"
                f"{schedule.name} for {where}, {_period_text(report)} "
                f"({(report.studio or report.organization).time_zone}):\n\n"
                + "\n\n".join(parts)
                + f"\n\nOwners find every report in the archive: {archive}\n"
                "You receive this because an owner of the studio added you to this report.\n"
            )
            queue_email(
                member.user,
                "scheduled_report",
                subject,
                body,
                f"scheduled-report:{report.pk}:{member.pk}",
                report.organization_id,
            )
        audit.record(None, "reports.generated", report, organization_id=report.organization_id)
    return report
