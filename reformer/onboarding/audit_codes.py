"""Audit event codes (core.audit.record) written by onboarding: one constant per code."""

from __future__ import annotations

BOOKINGS_REQUIREMENTS_OVERRIDDEN = "bookings.requirements.overridden"
ONBOARDING_DOCUMENT_ACCEPTED = "onboarding.document.accepted"
ONBOARDING_DOCUMENT_ACTIVE = "onboarding.document.active"
ONBOARDING_DOCUMENT_CREATED = "onboarding.document.created"
ONBOARDING_DOCUMENT_PUBLISHED = "onboarding.document.published"
ONBOARDING_INTAKE_QUESTION_ACTIVE = "onboarding.intake.question_active"
ONBOARDING_INTAKE_QUESTION_ADDED = "onboarding.intake.question_added"
ONBOARDING_INTAKE_SUBMITTED = "onboarding.intake.submitted"
ONBOARDING_INTRO_OFFER_SET = "onboarding.intro_offer.set"
ONBOARDING_REQUIREMENT_ADDED = "onboarding.requirement.added"
ONBOARDING_REQUIREMENT_REMOVED = "onboarding.requirement.removed"
ONBOARDING_TAG_CREATED = "onboarding.tag.created"
ONBOARDING_TAG_GRANTED = "onboarding.tag.granted"
ONBOARDING_TAG_REVOKED = "onboarding.tag.revoked"
