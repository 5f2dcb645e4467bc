"""The onboarding refusals: stable `DomainError.code` values and the HTTP status each is
answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422)."""

from __future__ import annotations

BOOKING_REQUIREMENT_UNMET = "booking.requirement_unmet"
INTRO_ALREADY_USED = "intro.already_used"
INTRO_NOT_FIRST_TIME = "intro.not_first_time"
ONBOARDING_INTAKE_REQUIRED = "onboarding.intake_required"
ONBOARDING_VERSION_OUTDATED = "onboarding.version_outdated"
ONBOARDING_WAIVER_REQUIRED = "onboarding.waiver_required"

HTTP_STATUS: dict[str, int] = {
    BOOKING_REQUIREMENT_UNMET: 409,
    INTRO_ALREADY_USED: 409,
    INTRO_NOT_FIRST_TIME: 409,
    ONBOARDING_VERSION_OUTDATED: 409,
}
