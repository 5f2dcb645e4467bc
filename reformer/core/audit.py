"""The audit log: one row per change, inside the transaction that makes the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from reformer.core.models import AuditEvent

if TYPE_CHECKING:
    from reformer.accounts.models import Membership, User

_encoder = DjangoJSONEncoder()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _encoder.default(value)


def record(
    actor: Membership | User | None,
    code: str,
    subject: models.Model,
    *,
    organization_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Append an audit event. `actor` None means the system (a job, the scheduler)."""
    user = cast("User | None", getattr(actor, "user", actor))  # a Membership's user
    if organization_id is None:
        organization_id = getattr(subject, "organization_id", None)
        if organization_id is None and subject._meta.label_lower == "studios.organization":
            organization_id = subject.pk
    return AuditEvent.objects.create(
        organization_id=organization_id,
        actor=user,
        code=code,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        data=_jsonable(data),
    )
