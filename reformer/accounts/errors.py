"""The membership, invitation and email-change refusals:
stable `DomainError.code` values, and the HTTP status each
is answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422).

Raise them as `DomainError(CODE, message)`; compare `error.code` with these names only."""

from __future__ import annotations

EMAIL_CHANGE_EXPIRED = "email_change.expired"
EMAIL_CHANGE_INVALID = "email_change.invalid"
INVITATION_ALREADY_STAFF = "invitation.already_staff"
INVITATION_EXPIRED = "invitation.expired"
INVITATION_REVOKED = "invitation.revoked"
INVITATION_USED = "invitation.used"
INVITATION_WRONG_EMAIL = "invitation.wrong_email"
MEMBERSHIP_ALREADY_STAFF = "membership.already_staff"
MEMBERSHIP_INACTIVE = "membership.inactive"
MEMBERSHIP_LAST_OWNER = "membership.last_owner"

HTTP_STATUS: dict[str, int] = {}
