"""Staff placing a client who does not meet a class's prerequisites, with a reason."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import OVERRIDE_POLICY, require
from reformer.onboarding.audit_codes import (
    BOOKINGS_REQUIREMENTS_OVERRIDDEN,
)
from reformer.onboarding.models import RequirementOverride
from reformer.onboarding.requirements import unmet_requirements


def requirement_override(
    actor: Membership, session, client: Membership, reason: str
) -> Callable | None:
    """None without a reason (the requirements apply). With one: staff holding
    OVERRIDE_POLICY for the class's studio get a callback that records the override with
    the booking (in its transaction, under the class lock)."""
    reason = (reason or "").strip()
    if not reason:
        return None
    require(actor, OVERRIDE_POLICY, session=session)
    if len(reason) > 200:
        raise DomainError(
            VALIDATION, "Keep the reason under 200 characters.", field="override_reason"
        )
    unmet = "; ".join(u.way_there for u in unmet_requirements(client, session.class_type_id))

    def record(booking) -> None:
        if not unmet:
            return  # nothing was waived
        RequirementOverride.objects.create(
            organization_id=session.organization_id,
            client=client,
            booking=booking,
            actor=actor,
            reason=reason,
            unmet=unmet[:300],
            at=timezone.now(),
        )
        audit.record(
            actor,
            BOOKINGS_REQUIREMENTS_OVERRIDDEN,
            booking,
            client=client.pk,
            reason=reason,
            unmet=unmet,
        )

    return record
