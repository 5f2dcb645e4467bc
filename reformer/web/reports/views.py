"""Reports pages: the archive, a custom report on request, settings, downloads."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from reformer.core.permissions import VIEW_REPORTS
from reformer.reports import actions, queries
from reformer.reports.models import Report
from reformer.studios.models import Studio
from reformer.web.auth import capability_required
from reformer.web.http import MemberRequest
from reformer.web.reports.forms import CustomReportForm, ReportSettingsForm

PAGE_SIZE = 36


def _studios(request: MemberRequest):
    return Studio.objects.filter(organization_id=request.membership.organization_id).order_by(
        "name"
    )


def _page(request: MemberRequest, *, form=None, settings_form=None, status=200, notice=""):
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
    }
    return render(request, "reports/list.html", context, status=status)


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
    where = f"studio-{report.studio_id}" if report.studio_id else "all-studios"
    name = f"reformer-report-{where}-{report.period_start}-{report.period_end}.{fmt}"
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
