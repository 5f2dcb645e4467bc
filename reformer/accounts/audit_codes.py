"""Audit event codes (core.audit.record) and admin alert codes (core.models.AdminAlert)
written by accounts: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

ACCOUNTS_CLIENT_DETAILS_UPDATED = "accounts.client.details_updated"
ACCOUNTS_CLIENT_SUSPENDED = "accounts.client.suspended"
ACCOUNTS_CLIENT_SUSPENSION_LIFTED = "accounts.client.suspension_lifted"
ACCOUNTS_INVITATION_ACCEPTED = "accounts.invitation.accepted"
ACCOUNTS_INVITATION_CREATED = "accounts.invitation.created"
ACCOUNTS_INVITATION_REVOKED = "accounts.invitation.revoked"
ACCOUNTS_MEMBERSHIP_DEACTIVATED = "accounts.membership.deactivated"
ACCOUNTS_MEMBERSHIP_DETAILS_UPDATED = "accounts.membership.details_updated"
ACCOUNTS_MEMBERSHIP_JOINED = "accounts.membership.joined"
ACCOUNTS_MEMBERSHIP_REACTIVATED = "accounts.membership.reactivated"
ACCOUNTS_MEMBERSHIP_ROLE_CHANGED = "accounts.membership.role_changed"
ACCOUNTS_USER_EMAIL_CHANGE_REQUESTED = "accounts.user.email_change_requested"
ACCOUNTS_USER_EMAIL_CHANGED = "accounts.user.email_changed"
ACCOUNTS_USER_PASSWORD_CHANGED = "accounts.user.password_changed"
ACCOUNTS_USER_PHOTO_CHANGED = "accounts.user.photo_changed"
ACCOUNTS_USER_PHOTO_REMOVED = "accounts.user.photo_removed"
ACCOUNTS_USER_PREFERENCES_UPDATED = "accounts.user.preferences_updated"
ACCOUNTS_USER_PROFILE_UPDATED = "accounts.user.profile_updated"
