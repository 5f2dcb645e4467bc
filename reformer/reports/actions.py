"""Report actions: schedule the month's reports, generate one (PDF, or CSV after repeated
failure), email it through the outbox, custom reports on request, owners' preferences."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.models import Membership, Role
from reformer.analytics.periods import Period
from reformer.core import audit, permissions
from reformer.core.errors import DomainError, NotFound
from reformer.core.jobs import defer_in_transaction
from reformer.core.models import AdminAlert
from reformer.core.timezones import local_today, usable_date
from reformer.notifications import attachments
from reformer.notifications.actions import queue_email
from reformer.notifications.attachments import Attachment
from reformer.reports import data as report_data
from reformer.reports import render
from reformer.reports.models import Report, ReportPreference
from reformer.studios.models import Organization, Studio

logger = logging.getLogger(__name__)

RUN_AT_HOUR = 6  # local time on the 1st
CATCH_UP_DAYS = 3  # a worker that was down on the 1st still sends by the 3rd
MAX_CUSTOM_DAYS = 366 * 2
DOWNLOAD_SALT = "reports.download"
DOWNLOAD_MAX_AGE = 60 * 60 * 24 * 30  # an emailed link works for 30 days
# Report emails carry the file (PHX-20: "PDF attached"); past this size (most mailboxes take
# 10-25 MB in all, and base64 adds a third) only the download link goes.
ATTACHMENT_MAX_BYTES = 7 * 1024 * 1024


class InvalidReportRange(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__("reports.invalid_range", message)


def preference(member: Membership) -> ReportPreference:
    return ReportPreference.objects.filter(membership=member).first() or ReportPreference(
        organization_id=member.organization_id, membership=member
    )


def _owners(organization_id: int) -> list[Membership]:
    return list(
        Membership.objects.select_related("user")
        .filter(organization_id=organization_id, role=Role.OWNER, active=True)
        .order_by("pk")
    )


def recipients(organization_id: int) -> list[Membership]:
    """Owners who want the monthly email; logs each who opted out."""
    wanted = []
    prefs = {
        p.membership_id: p for p in ReportPreference.objects.filter(organization_id=organization_id)
    }
    for owner in _owners(organization_id):
        pref = prefs.get(owner.pk)
        if pref is not None and not pref.monthly_email:
            logger.info("Owner opted out of monthly reports (membership %s)", owner.pk)
            continue
        wanted.append(owner)
    return wanted


def _create(organization_id: int, studio: Studio | None, period: Period, **extra) -> Report | None:
    try:
        with transaction.atomic():
            report = Report.objects.create(
                organization_id=organization_id,
                studio=studio,
                period_start=period.start,
                period_end=period.end,
                **extra,
            )
            from reformer.reports.jobs import generate_report

            defer_in_transaction(generate_report, report_id=report.pk)
    except IntegrityError:
        return None  # already made for this month (a second run of the scheduler)
    return report


def schedule_monthly(*, now: dt.datetime | None = None) -> list[Report]:
    """Create (and queue) last month's reports of every organization where it is now the
    1st, 06:00 or later, local time (or up to CATCH_UP_DAYS later). Safe to run often."""
    now = now or timezone.now()
    created = []
    for organization in Organization.objects.order_by("pk"):
        local = report_data.local_now(organization, now)
        if local.day > CATCH_UP_DAYS or (local.day == 1 and local.hour < RUN_AT_HOUR):
            continue
        wanted = recipients(organization.pk)
        if not wanted:
            continue
        period = report_data.month_before(local.date())
        report = _create(organization.pk, None, period, kind=Report.Kind.MONTHLY)
        if report is not None:
            created.append(report)
        if any(preference(owner).studio_reports for owner in wanted):
            for studio in Studio.objects.filter(organization=organization, active=True):
                report = _create(organization.pk, studio, period, kind=Report.Kind.MONTHLY)
                if report is not None:
                    created.append(report)
    return created


def request_report(
    actor: Membership, start: dt.date, end: dt.date, *, studio_id: int | None = None
) -> Report:
    """An owner asks for a report of any range: made in the background, emailed when ready."""
    studio = None
    if studio_id is not None:
        studio = Studio.objects.filter(pk=studio_id, organization_id=actor.organization_id).first()
        if studio is None:
            raise NotFound("studio")
    permissions.require(actor, permissions.VIEW_REPORTS)
    if not (usable_date(start) and usable_date(end)):
        raise InvalidReportRange("Enter both dates (YYYY-MM-DD).")
    if end < start:
        raise InvalidReportRange("The end date must be on or after the start date.")
    if (end - start).days >= MAX_CUSTOM_DAYS:
        raise InvalidReportRange("Choose a range of at most two years.")
    today = local_today((studio or actor.organization).time_zone)
    if start > today:
        # A period with nothing in it yet reported every client as "lost".
        raise InvalidReportRange(
            f"That period has not started yet: choose dates up to today ({today:%-d %b %Y})."
        )
    # A period still running is reported to date; the title says so (render._period_label).
    end = min(end, today)
    with transaction.atomic():
        report = _create(
            actor.organization_id,
            studio,
            Period("custom", start, end),
            kind=Report.Kind.CUSTOM,
            requested_by=actor,
        )
        assert report is not None  # custom reports have no uniqueness to collide with
        audit.record(actor, "reports.requested", report, start=start, end=end)
    return report


@transaction.atomic
def set_preferences(actor: Membership, *, monthly_email: bool, studio_reports: bool):
    permissions.require(actor, permissions.VIEW_REPORTS)
    pref, _ = ReportPreference.objects.update_or_create(
        membership=actor,
        defaults={
            "organization_id": actor.organization_id,
            "monthly_email": monthly_email,
            "studio_reports": studio_reports,
        },
    )
    audit.record(
        actor,
        "reports.preferences",
        pref,
        monthly_email=monthly_email,
        studio_reports=studio_reports,
    )
    return pref


def download_token(report: Report, member: Membership) -> str:
    return signing.dumps({"r": report.pk, "m": member.pk}, salt=DOWNLOAD_SALT, compress=True)


def report_from_token(token: str) -> tuple[Report, Membership]:
    """The report and owner a signed link was made for; NotFound if it is bad, expired, or
    the person is no longer an owner there."""
    try:
        payload = signing.loads(token, salt=DOWNLOAD_SALT, max_age=DOWNLOAD_MAX_AGE)
    except signing.BadSignature:
        raise NotFound("report") from None
    report = Report.objects.filter(pk=payload.get("r")).first()
    member = Membership.objects.filter(pk=payload.get("m"), active=True).first()
    if report is None or member is None or member.organization_id != report.organization_id:
        raise NotFound("report")
    if not permissions.has_capability(member, permissions.VIEW_REPORTS):
        raise NotFound("report")
    return report, member


def attached_file(report_id: int, fmt: str) -> Attachment | None:
    """The report's PDF or CSV for its email, or None when it is gone or too big to attach."""
    report = Report.objects.filter(pk=report_id).first()
    body = None if report is None else (report.pdf if fmt == "pdf" else report.csv)
    if report is None or body is None or len(body) > ATTACHMENT_MAX_BYTES:
        return None
    mimetype = "application/pdf" if fmt == "pdf" else "text/csv"
    return Attachment(report.file_name(fmt), bytes(body), mimetype)


def _email(report: Report, member: Membership, *, fallback: bool) -> None:
    title = render.title(report.data)
    link = settings.SITE_URL + reverse(
        "reports:signed_download", args=[download_token(report, member)]
    )
    archive = settings.SITE_URL + reverse("reports:list")
    fmt = "csv" if fallback else "pdf"
    file = report.csv if fallback else report.pdf
    attach = file is not None and len(file) <= ATTACHMENT_MAX_BYTES
    if fallback:
        subject = f"{title} (CSV)"
        lead = (
            "We could not make the PDF of this report, so here are its figures as a CSV file "
            "you can open in any spreadsheet. Our team has been alerted."
        )
    else:
        subject = title
        lead = "Your report is ready: revenue, bookings, attendance, utilisation and more."
    if attach:
        where = f"It is attached ({fmt.upper()}). You can also download it: {link}"
    else:
        where = f"It is too large to attach; download it: {link}"
    body = (
        f"Hello {member.user.display_name},\n\n{lead}\n\n{where}\n"
        f"(This link works for 30 days.)\n\nAll your reports: {archive}\n\n"
        "To stop these emails, turn off the monthly report in your report settings.\n"
    )
    queue_email(
        member.user,
        "business_report",
        subject,
        body,
        f"report:{report.pk}:{member.pk}",
        report.organization_id,
        context={"attachments": [attachments.reference(f"report_{fmt}", report.pk)]}
        if attach
        else None,
    )


def _report_recipients(report: Report) -> list[Membership]:
    if report.kind == Report.Kind.CUSTOM:
        requester = report.requested_by
        return [requester] if requester is not None and requester.active else []
    return recipients(report.organization_id)


class ReportPdfFailed(Exception):
    """Rendering the PDF failed; the job retries with a compact PDF, then falls back to CSV."""


def generate(report_id: int, *, attempt: int = 0, final: bool = True) -> Report | None:
    """Make one report and email it. Safe to run twice: a finished report is left alone."""
    report = Report.objects.select_related("organization", "studio").filter(pk=report_id).first()
    if report is None or report.is_available:
        return report
    period = Period("custom", report.period_start, report.period_end)
    if not report.data:
        try:
            report.data = report_data.build(report.organization, report.studio, period)
        except report_data.NoOwner:
            report.status = Report.Status.FAILED
            report.error = "The organization has no active owner."
            report.save(update_fields=["status", "error"])
            return report
    report.attempts = attempt + 1
    try:
        pdf = render.render_pdf(report.data, compact=attempt > 0)
    except Exception as error:  # fpdf2 raises many kinds; each is the same failure to us
        logger.exception("report %s: PDF failed (attempt %s)", report.pk, attempt + 1)
        report.error = f"{type(error).__name__}: {error}"[:1000]
        if not final:
            report.save(update_fields=["data", "attempts", "error"])
            raise ReportPdfFailed(str(error)) from error
        with transaction.atomic():
            report.csv = render.render_csv(report.data)
            report.status = Report.Status.FALLBACK
            report.generated_at = timezone.now()
            report.save()
            AdminAlert.objects.create(
                organization_id=report.organization_id,
                code="reports.pdf_failed",
                message=f"The PDF of the {render.title(report.data)} could not be made after "
                f"{report.attempts} attempts; it was sent as CSV. Last error: {report.error}",
                data={"report_id": report.pk},
            )
            for member in _report_recipients(report):
                _email(report, member, fallback=True)
        return report
    with transaction.atomic():
        report.pdf = pdf
        report.status = Report.Status.READY
        report.generated_at = timezone.now()
        report.error = ""
        report.save()
        audit.record(None, "reports.generated", report, organization_id=report.organization_id)
        for member in _report_recipients(report):
            _email(report, member, fallback=False)
    return report


def record_download(actor: Membership, report: Report, *, how: str) -> None:
    """Audit a download: from the archive (pdf/csv) or through an emailed link ("link")."""
    audit.record(actor, "reports.downloaded", report, format=how)
