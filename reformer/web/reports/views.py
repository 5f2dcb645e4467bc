"""Reports pages: the archive, a custom report on request, settings, downloads."""

from __future__ import annotations

import calendar
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from reformer.accounts.models import Membership
from reformer.core.errors import AccessError, DomainError
from reformer.core.parsing import to_id
from reformer.core.permissions import STAFF_ROLES, VIEW_REPORTS
from reformer.reports import actions, queries, scheduled
from reformer.reports.models import Report, ReportSchedule
from reformer.studios.models import Studio
from reformer.web.auth import capability_required
from reformer.web.http import MemberRequest
from reformer.web.reports.forms import CustomReportForm, ReportSettingsForm

PAGE_SIZE = 36


def _studios(request: MemberRequest):
    return Studio.objects.filter(organization_id=request.membership.organization_id).order_by(
        "name"
    )


def _page(
    request: MemberRequest,
    *,
    form=None,
    settings_form=None,
    status=200,
    notice="",
    schedule_error=None,
    schedule_values=None,
):
    member = request.membership
    pref = actions.preference(member)
    context = {
        "reports": list(queries.reports(member)[:PAGE_SIZE]),
        "form": form or CustomReportForm(studios=_studios(request)),
        "settings_form": settings_form
        or ReportSettingsForm(
            initial={"monthly_email": pref.monthly_email, "studio_reports": pref.studio_reports}
        ),
        "notice": notice or request.GET.get("done", ""),
        **_schedule_context(request, schedule_error, schedule_values),
    }
    return render(request, "reports/list.html", context, status=status)


def _schedule_context(request: MemberRequest, error, values) -> dict:
    member = request.membership
    return {
        "schedules": list(scheduled.schedules_for(member)),
        "schedule_sections": list(ReportSchedule.SECTIONS.items()),
        "schedule_staff": list(
            Membership.objects.filter(
                organization_id=member.organization_id, active=True, role__in=STAFF_ROLES
            )
            .select_related("user")
            .order_by("user__name", "pk")
        ),
        "schedule_studios": _studios(request),
        "weekdays": list(enumerate(calendar.day_name)),
        "hours": range(24),
        "schedule_error": error,
        "schedule_values": values or {"frequency": "daily", "hour": "7", "weekday": "0"},
    }


@require_GET
@capability_required(VIEW_REPORTS)
def report_list(request: MemberRequest) -> HttpResponse:
    return _page(request)


@require_POST
@capability_required(VIEW_REPORTS)
def request_custom(request: MemberRequest) -> HttpResponse:
    form = CustomReportForm(request.POST, studios=_studios(request))
    if not form.is_valid():
        return _page(request, form=form, status=422)
    try:
        actions.request_report(
            request.membership,
            form.cleaned_data["start"],
            form.cleaned_data["end"],
            studio_id=form.cleaned_data["studio"],
        )
    except actions.InvalidReportRange as error:
        form.add_error(None, error.message)
        return _page(request, form=form, status=422)
    return redirect(f"{reverse('reports:list')}?done=requested")


@require_POST
@capability_required(VIEW_REPORTS)
def settings_view(request: MemberRequest) -> HttpResponse:
    form = ReportSettingsForm(request.POST)
    form.is_valid()  # two checkboxes: always valid
    actions.set_preferences(
        request.membership,
        monthly_email=form.cleaned_data.get("monthly_email", False),
        studio_reports=form.cleaned_data.get("studio_reports", False),
    )
    return redirect(f"{reverse('reports:list')}?done=settings")


@require_GET
@capability_required(VIEW_REPORTS)
def status(request: MemberRequest, report_id: int) -> HttpResponse:
    report = queries.report(request.membership, report_id)
    return render(request, "reports/_row.html", {"report": report})


def _file(report: Report, fmt: str) -> HttpResponse:
    body = report.pdf if fmt == "pdf" else report.csv
    if body is None:
        raise Http404("That format is not available for this report.")
    content_type = "application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8"
    response = HttpResponse(bytes(body), content_type=content_type)
    name = report.file_name(fmt)
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@capability_required(VIEW_REPORTS)
def download(request: MemberRequest, report_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "csv"):
        raise Http404("No such format")
    report = queries.report(request.membership, report_id)
    actions.record_download(request.membership, report, how=fmt)
    return _file(report, fmt)


@require_GET
def signed_download(request: MemberRequest, token: str) -> HttpResponse:
    """The link in the email: works without signing in, for 30 days, for that owner."""
    report, member = actions.report_from_token(token)
    actions.record_download(member, report, how="link")
    return _file(report, "pdf" if report.pdf is not None else "csv")


@require_POST
@capability_required(VIEW_REPORTS)
def schedule_save(request: MemberRequest) -> HttpResponse:
    """Add a daily or weekly report: its sections, recipients (staff only), time."""
    post = request.POST
    values: dict[str, Any] = {
        "name": post.get("name", ""),
        "frequency": post.get("frequency", ""),
        "weekday": post.get("weekday", "0"),
        "hour": post.get("hour", "7"),
        "studio": post.get("studio", ""),
        "sections": post.getlist("sections"),
        "recipients": post.getlist("recipients"),
    }
    studio = post.get("studio") or ""
    if studio and to_id(studio) is None:
        error = DomainError("validation", "Choose a studio from the list.", field="studio")
        return _page(request, status=422, schedule_error=error, schedule_values=values)
    try:
        scheduled.save_schedule(
            request.membership,
            name=str(values["name"]),
            frequency=str(values["frequency"]),
            sections=values["sections"],
            recipient_ids=values["recipients"],
            weekday=values["weekday"],
            hour=values["hour"],
            studio_id=to_id(studio) if studio else None,
        )
    except AccessError:
        raise
    except DomainError as error:
        return _page(request, status=422, schedule_error=error, schedule_values=values)
    return redirect(f"{reverse('reports:list')}?done=scheduled#schedules-title")


@require_POST
@capability_required(VIEW_REPORTS)
def schedule_remove(request: MemberRequest, schedule_id: int) -> HttpResponse:
    schedule = ReportSchedule.objects.filter(
        pk=schedule_id, organization_id=request.membership.organization_id, active=True
    ).first()
    if schedule is None:
        raise Http404
    scheduled.remove_schedule(request.membership, schedule)
    return redirect(f"{reverse('reports:list')}?done=unscheduled#schedules-title")
