"""Export and import (owner), and a client's own data (download, delete)."""

from __future__ import annotations

import secrets
from typing import cast

from django.contrib import messages
from django.contrib.auth import logout
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.core.errors import DomainError
from reformer.core.permissions import BOOK_SELF, MANAGE_INTEGRATIONS
from reformer.portability import actions as exports
from reformer.portability import personal
from reformer.portability.importing import FIELDS, run_import
from reformer.web.auth import capability_required
from reformer.web.errors import render_domain_error
from reformer.web.http import MemberRequest
from reformer.web.integrations.forms import ConfirmDeleteForm, ImportForm

EXPORTS_SHOWN = 10


@capability_required(MANAGE_INTEGRATIONS)
def export_page(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    if request.method == "POST":
        try:
            exports.request_export(actor)
            messages.success(request, "Export started: it builds in the background.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("integrations:export")
    return render(
        request,
        "integrations/export.html",
        {"exports": exports.exports_for(actor)[:EXPORTS_SHOWN]},
    )


@capability_required(MANAGE_INTEGRATIONS)
def export_status(request: MemberRequest, pk: int) -> HttpResponse:
    """The export's row, polled by htmx while it builds."""
    export = exports.get_export(request.membership, pk)
    return render(request, "integrations/_export_row.html", {"export": export})


@capability_required(MANAGE_INTEGRATIONS)
def export_download(request: MemberRequest, token: str) -> HttpResponse:
    try:
        export = exports.download(request.membership, token)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return render_domain_error(
            request,
            error,
            template="integrations/export.html",
            context={"exports": exports.exports_for(request.membership)[:EXPORTS_SHOWN]},
            status=410 if error.code == "export.expired" else 409,
        )
    name = export.file_name.rsplit("/", 1)[-1]
    download = FileResponse(
        default_storage.open(export.file_name), as_attachment=True, filename=name
    )
    return cast(HttpResponse, download)  # a streaming response, served like any other


def _upload_path(actor, token: str) -> str:
    return f"imports/{actor.organization_id}/{token}.csv"


@capability_required(MANAGE_INTEGRATIONS)
def import_page(request: MemberRequest) -> HttpResponse:
    """Upload -> dry run shown per row (with the column mapping, editable) -> import."""
    actor = request.membership
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form, "fields": FIELDS}
    if request.method != "POST":
        return render(request, "integrations/import.html", context)
    token = request.POST.get("upload", "")
    if token:  # a re-check with a hand-made mapping, or the import itself
        kind = request.POST.get("kind", "")
        path = _upload_path(actor, token)
        if not token.isalnum() or not default_storage.exists(path):
            messages.error(request, "That upload has expired: choose the file again.")
            return redirect("integrations:import")
        with default_storage.open(path) as handle:
            content = handle.read()
    elif form.is_valid():
        kind = form.cleaned_data["kind"]
        content = form.cleaned_data["file"].read()
        token = secrets.token_hex(16)
        default_storage.save(_upload_path(actor, token), ContentFile(content))
    else:
        return render(request, "integrations/import.html", context, status=422)
    mapping = {
        field: request.POST[f"map_{field}"]
        for field in FIELDS.get(kind, {})
        if request.POST.get(f"map_{field}")
    }
    apply = request.POST.get("apply") == "1"
    try:
        plan = run_import(actor, kind, content, mapping=mapping or None, dry_run=not apply)
    except DomainError as error:
        return render_domain_error(
            request, error, template="integrations/import.html", context=context
        )
    if apply:
        default_storage.delete(_upload_path(actor, token))
        messages.success(
            request,
            f"Imported {plan.counts['create']} {kind}; {plan.counts['skip']} rows skipped.",
        )
        return redirect("integrations:import")
    context |= {"plan": plan, "upload": token, "kind": kind, "kind_fields": FIELDS[kind]}
    return render(request, "integrations/import.html", context)


@capability_required(BOOK_SELF)
def my_data(request: MemberRequest) -> HttpResponse:
    form = ConfirmDeleteForm()
    return render(request, "integrations/my_data.html", {"form": form})


@capability_required(BOOK_SELF)
def my_data_download(request: MemberRequest) -> HttpResponse:
    data = personal.personal_data(request.membership)
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    slug = request.membership.organization.slug
    response["Content-Disposition"] = f'attachment; filename="my-data-{slug}.json"'
    return response


@require_POST
@capability_required(BOOK_SELF)
def my_data_delete(request: MemberRequest) -> HttpResponse:
    form = ConfirmDeleteForm(request.POST)
    if not form.is_valid():
        return render(request, "integrations/my_data.html", {"form": form}, status=422)
    organization = request.membership.organization
    client = personal.delete_client(request.membership)
    if not client.user.is_active:
        logout(request)
    messages.success(request, f"Your data at {organization.name} was deleted.")
    return redirect("home")
