"""Package expiry warnings (PHX-18): 30, 7 and 1 days before a package expires, once each.

Like reminders, a periodic job finds what is due: a warning step is due at the expiry's
local wall-clock time minus its days, goes only to packages that existed then (a package
bought with 20 days left gets the 7- and 1-day warnings, not a "30 days" one right after
purchase), only the most urgent due step goes when several are, and a package with no
credits left gets none.

Times are the client's: their home studio's zone (accounts.home: where they book, else
where the package was bought) decides the warning points, "today" / "tomorrow" and the
expiry time; suggested classes come from the studios they use, each at its studio's time,
its zone named when it is not the client's.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.home import PackageHome, package_homes
from reformer.billing.models import ClientPackage
from reformer.core import timeformat
from reformer.core.timezones import to_local, zone
from reformer.notifications import preferences
from reformer.notifications.actions import OutgoingMessage, queue_many
from reformer.notifications.models import Message
from reformer.notifications.rendering import absolute
from reformer.scheduling.models import ClassSession

logger = logging.getLogger(__name__)

WARNING_DAYS = (30, 7, 1)
SUBJECTS = {
    30: "Your {product} expires in 30 days",
    7: "Package expiring soon! {remaining}",
    1: "Last chance to use your credits: {product} expires {expires_in}",
}
SUGGESTIONS = 3


def warning_key(package_id: int, days: int) -> str:
    return f"package-expiring:{package_id}:{days}d"


def warning_point(expires_at: dt.datetime, days: int, time_zone: str) -> dt.datetime:
    local = to_local(expires_at, time_zone).replace(tzinfo=None) - dt.timedelta(days=days)
    return local.replace(tzinfo=zone(time_zone)).astimezone(dt.UTC)


def queue_expiry_warnings(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    packages = (
        ClientPackage.objects.filter(
            status=ClientPackage.Status.ACTIVE,
            expires_at__gt=now,
            expires_at__lte=now + dt.timedelta(days=max(WARNING_DAYS), hours=2),
        )
        .filter(Q(credits_remaining__gt=0) | Q(credits_remaining__isnull=True))
        .select_related("client__user__messaging", "product", "organization")
        .order_by("pk")
    )
    candidates = list(packages)
    homes = package_homes(candidates)
    due: list[tuple[ClientPackage, int]] = []
    for package in candidates:
        days = _due_step(package, now, homes[package.pk].time_zone)
        if days is not None:
            due.append((package, days))
    if not due:
        return 0
    keys = {warning_key(p.pk, d) for p, d in due} | {
        warning_key(p.pk, d) for p, _ in due for d in WARNING_DAYS
    }
    existing = set(
        Message.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    outgoing = []
    for package, days in due:
        if warning_key(package.pk, days) in existing:
            continue
        # A more urgent warning already went (the job is behind): don't send a milder one.
        if any(warning_key(package.pk, d) in existing for d in WARNING_DAYS if d < days):
            continue
        outgoing.append(_warning(package, days, now, homes[package.pk]))
    with transaction.atomic():
        return len(queue_many(outgoing, now=now))


def _due_step(package: ClientPackage, now: dt.datetime, tz: str) -> int | None:
    """The most urgent warning step due now that the package existed for, or None."""
    for days in sorted(WARNING_DAYS):
        point = warning_point(package.expires_at, days, tz)
        if point <= now:
            return days if package.created_at <= point else None
    return None


def _remaining_text(package: ClientPackage) -> str:
    if package.credits_total is None:
        return "Unlimited classes until then."
    left = package.credits_remaining
    noun = "credit" if left == 1 else "credits"
    return f"{left} {noun} left ({left} of {package.credits_total})."


def _suggestions(
    package: ClientPackage, now: dt.datetime, days: int, home: PackageHome
) -> list[dict]:
    """A few upcoming classes with places (today's, for the last-day warning) at the
    client's studios, each at its studio's time, its zone named when not the client's."""
    until = (
        package.expires_at if days > 1 else min(package.expires_at, now + dt.timedelta(hours=24))
    )
    sessions = ClassSession.objects.filter(
        organization_id=package.organization_id,
        status="scheduled",
        starts_at__gt=now,
        starts_at__lt=until,
    )
    if home.studio_ids:
        sessions = sessions.filter(studio_id__in=home.studio_ids)
    picked = []
    locale = timeformat.locale_of(package.organization)
    for session in sessions.select_related("class_type", "studio").order_by("starts_at")[
        : SUGGESTIONS * 3
    ]:
        if session.booked_count >= session.capacity:
            continue
        studio_zone = session.studio.time_zone
        picked.append(
            {
                "name": session.class_type.name,
                "when": timeformat.when(
                    to_local(session.starts_at, studio_zone),
                    "day_time",
                    locale,
                    name_zone=studio_zone != home.time_zone,
                ),
                "url": absolute(reverse("client:session_detail", args=[session.pk])),
            }
        )
        if len(picked) == SUGGESTIONS:
            break
    return picked


def _expires_in(expires: dt.datetime, now: dt.datetime, tz: str) -> str:
    """ "today", "tomorrow" or "in 7 days", by the client's calendar (the job may run late,
    and a warning point is not always the day before)."""
    days = (expires.date() - to_local(now, tz).date()).days
    if days <= 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def _warning(
    package: ClientPackage, days: int, now: dt.datetime, home: PackageHome
) -> OutgoingMessage:
    tz = home.time_zone
    expires = to_local(package.expires_at, tz)
    expires_in = _expires_in(expires, now, tz)
    remaining = _remaining_text(package)
    locale = timeformat.locale_of(package.organization)
    context = {
        "product_name": package.product.name,
        # An email is read anywhere: the time says its zone.
        "expires": timeformat.when(expires, "day_year_time", locale, name_zone=True),
        "expires_in": expires_in,
        "days_left": days,
        "remaining_text": remaining,
        "credits_total": package.credits_total,
        "credits_remaining": package.credits_remaining,
        "suggestions": _suggestions(package, now, days, home) if days <= 7 else [],
        "book_url": absolute(reverse("client:browse")),
        "renew_url": absolute(reverse("organization_public", args=[package.organization.slug])),
        "studio_name": package.organization.name,
    }
    subject = SUBJECTS[days].format(
        product=package.product.name, remaining=remaining.split(" (")[0], expires_in=expires_in
    )
    return OutgoingMessage(
        recipient=package.client.user,
        kind="package_expiring",
        idempotency_key=warning_key(package.pk, days),
        organization_id=package.organization_id,
        subject=subject,
        context=context | {"subject": subject},
        expires_at=package.expires_at,
        recipient_settings=preferences.preloaded_settings_for(package.client.user),
    )
