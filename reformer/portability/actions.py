"""Export actions: the owner asks, a job builds, a link downloads it for a day."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import DomainError, NotFound
from reformer.core.parsing import to_key
from reformer.core.permissions import MANAGE_INTEGRATIONS, require
from reformer.portability.export import temporary_zip_path, write_export
from reformer.portability.models import Export

logger = logging.getLogger(__name__)
LINK_LIFETIME = dt.timedelta(hours=24)


def request_export(actor: Membership) -> Export:
    """Queue a full export (one at a time per organization)."""
    require(actor, MANAGE_INTEGRATIONS)
    from reformer.core.jobs import defer_in_transaction
    from reformer.portability.jobs import build_export

    with transaction.atomic():
        busy = Export.objects.select_for_update().filter(
            organization_id=actor.organization_id,
            status__in=[Export.Status.QUEUED, Export.Status.RUNNING],
        )
        if busy.exists():
            raise DomainError(
                "export.in_progress",
                "An export is already being built. It will appear here when it is ready.",
            )
        export = Export.objects.create(
            organization_id=actor.organization_id,
            requested_by=actor.user,
            token=secrets.token_urlsafe(32),
            step="Waiting to start",
        )
        audit.record(actor, "portability.export.requested", export)
        defer_in_transaction(build_export, export_id=export.pk)
    return export


def _set_progress(export_id: int, percent: int, step: str) -> None:
    Export.objects.filter(pk=export_id).update(progress=percent, step=step[:120])


def build(export_id: int) -> Export | None:
    """The job's work: write the zip, store it, mark it ready (safe to run twice)."""
    export = Export.objects.select_related("organization").filter(pk=export_id).first()
    if export is None or export.status not in (Export.Status.QUEUED, Export.Status.RUNNING):
        return None
    Export.objects.filter(pk=export_id).update(status=Export.Status.RUNNING, progress=1)
    path = temporary_zip_path()
    try:
        counts = write_export(
            export.organization_id,
            export.organization.name,
            path,
            lambda percent, step: _set_progress(export_id, percent, step),
        )
        _set_progress(export_id, 97, "Saving the file")
        stamp = f"{timezone.now():%Y%m%d-%H%M}"
        name = f"exports/{export.organization.slug}-{stamp}-{export.token[:8]}.zip"
        with open(path, "rb") as handle:
            stored = default_storage.save(name, File(handle))
        size = os.path.getsize(path)
    except Exception as exc:
        logger.exception("export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED,
            error=f"{type(exc).__name__}"[:300],
            finished_at=timezone.now(),
        )
        raise
    finally:
        os.unlink(path)
    now = timezone.now()
    Export.objects.filter(pk=export_id).update(
        status=Export.Status.READY,
        progress=100,
        step="Ready",
        file_name=stored,
        size_bytes=size,
        row_counts=counts,
        finished_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    export.refresh_from_db()
    return export


def exports_for(actor: Membership):
    require(actor, MANAGE_INTEGRATIONS)
    return Export.objects.filter(organization_id=actor.organization_id)


def get_export(actor: Membership, pk: int) -> Export:
    export = Export.objects.filter(organization_id=actor.organization_id, pk=pk).first()
    if export is None:
        raise NotFound("export")
    require(actor, MANAGE_INTEGRATIONS)
    return export


def download(actor: Membership, token: str) -> Export:
    """The export behind a download link, if it is this organization's, ready and unexpired."""
    key = to_key(token, max_length=64)
    export = (
        Export.objects.filter(organization_id=actor.organization_id, token=key).first()
        if key
        else None
    )
    if export is None:
        raise NotFound("export")
    require(actor, MANAGE_INTEGRATIONS)
    if export.status == Export.Status.EXPIRED or (
        export.expires_at is not None and export.expires_at <= timezone.now()
    ):
        raise DomainError(
            "export.expired",
            "This download link has expired. Start a new export to get a fresh one.",
        )
    if export.status != Export.Status.READY:
        raise DomainError("export.not_ready", "This export is not ready yet.")
    audit.record(actor, "portability.export.downloaded", export)
    return export


def expire_old_exports(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports whose link has expired (periodic job)."""
    now = now or timezone.now()
    expired = 0
    for export in Export.objects.filter(status=Export.Status.READY, expires_at__lte=now):
        if export.file_name:
            default_storage.delete(export.file_name)
        Export.objects.filter(pk=export.pk).update(status=Export.Status.EXPIRED, file_name="")
        expired += 1
    return expired
