"""The audit log: one row per change, inside the transaction that makes the change."""

from __future__ import annotations

import datetime as dt
import json
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
    return AuditEvent.objects.create(**_fields(actor, code, subject, organization_id, data))


# The same row as record() writes, as one statement that answers nothing: for a caller that
# sends it with others in one round trip (bookings.actions._pipelined). It skips the model's
# post_save signal, so only for an event no webhook endpoint listens for (webhooks.events).
_INSERT_SQL = """
INSERT INTO core_auditevent (organization_id, actor_id, code, subject_type, subject_id, data, at)
VALUES (%(organization_id)s, %(actor_id)s, %(code)s, %(subject_type)s, %(subject_id)s,
        %(data)s::jsonb, %(at)s)
"""


def insert_statement(
    actor: Membership | User | None,
    code: str,
    subject: models.Model,
    *,
    at: dt.datetime,
    **data: Any,
) -> tuple[str, dict[str, Any]]:
    """record()'s row as (sql, params), for an event nobody listens for (see _INSERT_SQL)."""
    fields = _fields(actor, code, subject, None, data)
    user = fields.pop("actor")
    return _INSERT_SQL, fields | {
        "actor_id": None if user is None else user.pk,
        "data": json.dumps(fields["data"], cls=DjangoJSONEncoder),
        "at": at,
    }


def _fields(
    actor: Membership | User | None,
    code: str,
    subject: models.Model,
    organization_id: int | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    user = cast("User | None", getattr(actor, "user", actor))  # a Membership's user
    if organization_id is None:
        organization_id = getattr(subject, "organization_id", None)
        if organization_id is None and subject._meta.label_lower == "studios.organization":
            organization_id = subject.pk
    return {
        "organization_id": organization_id,
        "actor": user,
        "code": code,
        "subject_type": subject._meta.label_lower,
        "subject_id": subject.pk,
        "data": _jsonable(data),
    }
