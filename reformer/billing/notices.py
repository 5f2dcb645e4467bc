"""Emails about packages, queued in the caller's transaction."""

from __future__ import annotations

from reformer.billing.models import ClientPackage
from reformer.core import timeformat
from reformer.core.timezones import to_local
from reformer.notifications.actions import queue_templated_email
from reformer.notifications.models import Message


def queue_package_granted(package: ClientPackage, *, note: str = "") -> Message:
    organization = package.client.organization
    expires = to_local(package.expires_at, organization.time_zone)
    return queue_templated_email(
        package.client.user,
        "package_granted",
        subject=f"A package was added to your account: {package.product.name}",
        context={
            "product_name": package.product.name,
            "credits": package.credits_total,
            "expires": timeformat.when(expires, "day_year", timeformat.locale_of(organization)),
            "note": note,
            "studio_name": organization.name,
        },
        idempotency_key=f"package-granted:{package.pk}",
        organization=package.organization_id,
    )
