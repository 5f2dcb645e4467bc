"""API keys: created by the owner with scopes, shown once, stored hashed, revocable.

A key is `rk_<prefix>_<secret>`. The prefix finds the row; only a SHA-256 of the whole key
is kept (the secret is random, 32 bytes: a slow hash would add nothing but latency). A key
acts as one active member of its organization, so every rule of core.permissions applies
to it exactly as in the web; its scopes can only narrow what that member may do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.api.models import ApiKey, IdempotentRequest, RateWindow
from reformer.core import audit
from reformer.core.errors import DomainError, NotFound
from reformer.core.permissions import MANAGE_INTEGRATIONS, require, require_same_organization

SCOPES: dict[str, str] = {
    "schedule:read": "Read studios, class types and classes",
    "clients:read": "Read clients and their packages",
    "bookings:read": "Read bookings, appointments, waitlists and attendance",
    "bookings:write": "Book and cancel classes and appointments, join and leave waitlists",
    "attendance:write": "Mark attendance and no-shows",
    "payments:read": "Read payments",
}
KEY_PREFIX = "rk_"
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)
RATE_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the full key, shown to the owner once


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(
    actor: Membership,
    *,
    name: str,
    scopes: list[str],
    acts_as: Membership | None = None,
    rate_limit_per_minute: int = 600,
) -> NewKey:
    require(actor, MANAGE_INTEGRATIONS)
    acts_as = acts_as or actor
    require_same_organization(actor, acts_as, "member")
    name = name.strip()
    if not name:
        raise DomainError(
            "validation", "Give the key a name, e.g. “Front desk tablet”.", field="name"
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise DomainError("validation", f"Unknown scope: {', '.join(unknown)}.", field="scopes")
    if not scopes:
        raise DomainError("validation", "Choose at least one scope.", field="scopes")
    if not acts_as.active:
        raise DomainError("validation", "A key can act only as an active member.", field="acts_as")
    if not 1 <= rate_limit_per_minute <= 100_000:
        raise DomainError(
            "validation",
            "The rate limit must be between 1 and 100000 a minute.",
            field="rate_limit_per_minute",
        )
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            organization_id=actor.organization_id,
            name=name[:80],
            prefix=prefix,
            secret_hash=_digest(raw),
            scopes=sorted(set(scopes)),
            acts_as=acts_as,
            created_by=actor.user,
            rate_limit_per_minute=rate_limit_per_minute,
        )
        audit.record(actor, "api.key.created", key, name=key.name, scopes=key.scopes)
    return NewKey(key, raw)


def revoke_api_key(actor: Membership, key: ApiKey) -> ApiKey:
    require_same_organization(actor, key, "API key")
    require(actor, MANAGE_INTEGRATIONS)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit.record(actor, "api.key.revoked", key, name=key.name)
    return key


def api_keys_for(actor: Membership):
    require(actor, MANAGE_INTEGRATIONS)
    return ApiKey.objects.filter(organization_id=actor.organization_id).select_related(
        "acts_as__user"
    )


def get_api_key(actor: Membership, pk: int) -> ApiKey:
    key = api_keys_for(actor).filter(pk=pk).first()
    if key is None:
        raise NotFound("API key")
    return key


def authenticate(raw: str) -> ApiKey | None:
    """The active key this secret belongs to (with its member loaded), else None."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
    key = (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True)
        .select_related("acts_as__user", "acts_as__organization")
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(raw)):
        return None
    if not key.acts_as.active or key.acts_as.organization_id != key.organization_id:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        # At most one write a minute per key, not one per request.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


_COUNT_SQL = """
INSERT INTO api_ratewindow (api_key_id, window_start, count) VALUES (%s, %s, 1)
ON CONFLICT (api_key_id, window_start) DO UPDATE SET count = api_ratewindow.count + 1
RETURNING count
"""


def count_request(key: ApiKey, *, now: dt.datetime | None = None) -> int | None:
    """Count a request in the key's current minute. None if allowed, else the seconds until
    the window resets (for Retry-After). One statement, shared by every server process."""
    now = now or timezone.now()
    window_start = now.replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [key.pk, window_start])
        (count,) = cursor.fetchone()
    if count <= key.rate_limit_per_minute:
        return None
    reset = window_start + RATE_WINDOW
    return max(1, int((reset - now).total_seconds() + 0.999))


def forget_old_requests(*, now: dt.datetime | None = None) -> None:
    """Housekeeping (periodic job): rate windows past, idempotent answers after a day."""
    now = now or timezone.now()
    RateWindow.objects.filter(window_start__lt=now - dt.timedelta(minutes=5)).delete()
    IdempotentRequest.objects.filter(created_at__lt=now - dt.timedelta(hours=24)).delete()
