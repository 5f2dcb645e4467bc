"""Onboarding actions: documents (waivers), health intake, intro offers, requirements."""

from reformer.onboarding.actions.documents import (
    accept_document,
    create_document,
    publish_version,
    set_document_active,
)
from reformer.onboarding.actions.intake import (
    add_question,
    intake_for,
    set_question_active,
    submit_intake,
)
from reformer.onboarding.actions.offers import (
    add_requirement,
    create_tag,
    grant_tag,
    remove_requirement,
    revoke_tag,
    set_intro_offer,
)

__all__ = [
    "accept_document",
    "add_question",
    "add_requirement",
    "create_document",
    "create_tag",
    "grant_tag",
    "intake_for",
    "publish_version",
    "remove_requirement",
    "revoke_tag",
    "set_document_active",
    "set_intro_offer",
    "set_question_active",
    "submit_intake",
]
