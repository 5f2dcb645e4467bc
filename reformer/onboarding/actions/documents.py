"""Waivers and terms: the owner publishes versions, clients accept the current one."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.permissions import (
    BOOK_SELF,
    MANAGE_ONBOARDING,
    require,
    require_same_organization,
)
from reformer.onboarding.audit_codes import (
    ONBOARDING_DOCUMENT_ACCEPTED,
    ONBOARDING_DOCUMENT_ACTIVE,
    ONBOARDING_DOCUMENT_CREATED,
    ONBOARDING_DOCUMENT_PUBLISHED,
)
from reformer.onboarding.errors import (
    ONBOARDING_VERSION_OUTDATED,
)
from reformer.onboarding.models import Acceptance, Document, DocumentVersion
from reformer.studios.validation import clean_text, invalid

MAX_BODY = 50_000


def _body(text: object) -> str:
    body = "" if text is None else str(text).strip()
    if not body:
        raise invalid(
            "Write the document's text: clients must be able to read what they accept.", "body"
        )
    if len(body) > MAX_BODY:
        raise invalid(f"The text is too long: at most {MAX_BODY:,} characters.", "body")
    return body


def create_document(actor: Membership, *, title: object, body: object) -> DocumentVersion:
    """A new document with its first version (clients are asked at their next booking)."""
    require(actor, MANAGE_ONBOARDING)
    title = clean_text(title, field="title", label="Title", max_length=120)
    text = _body(body)
    if Document.objects.filter(organization_id=actor.organization_id, title__iexact=title).exists():
        raise invalid(
            f"A document called “{title}” already exists: publish a new version.", "title"
        )
    with transaction.atomic(durable=True):
        document = Document.objects.create(organization_id=actor.organization_id, title=title)
        version = DocumentVersion.objects.create(
            organization_id=actor.organization_id,
            document=document,
            number=1,
            body=text,
            published_at=timezone.now(),
            published_by=actor,
        )
        audit.record(actor, ONBOARDING_DOCUMENT_CREATED, document, title=title)
    return version


def publish_version(actor: Membership, document: Document, *, body: object) -> DocumentVersion:
    """A new version: every client accepts it again before their next booking."""
    require_same_organization(actor, document, "document")
    require(actor, MANAGE_ONBOARDING)
    text = _body(body)
    with transaction.atomic(durable=True):
        Document.objects.select_for_update().filter(pk=document.pk).first()
        latest = document.versions.aggregate(n=Max("number"))["n"] or 0
        current = document.versions.filter(number=latest).first()
        if current is not None and current.body == text:
            raise invalid(
                "That is the current text already: change it to publish a version.", "body"
            )
        version = DocumentVersion.objects.create(
            organization_id=actor.organization_id,
            document=document,
            number=latest + 1,
            body=text,
            published_at=timezone.now(),
            published_by=actor,
        )
        audit.record(actor, ONBOARDING_DOCUMENT_PUBLISHED, document, number=version.number)
    return version


def set_document_active(actor: Membership, document: Document, active: bool) -> Document:
    require_same_organization(actor, document, "document")
    require(actor, MANAGE_ONBOARDING)
    with transaction.atomic(durable=True):
        document.active = bool(active)
        document.save(update_fields=["active"])
        audit.record(actor, ONBOARDING_DOCUMENT_ACTIVE, document, active=bool(active))
    return document


def accept_document(
    actor: Membership, version: DocumentVersion, *, signature: object, agreed: bool
) -> Acceptance:
    """The client accepts the version they were shown; the text they saw is kept with it."""
    require_same_organization(actor, version, "document")
    require(actor, BOOK_SELF)
    if not agreed:
        raise invalid("Tick the box to confirm you have read and accept it.", "agree")
    signature = clean_text(signature, field="signature", label="Your full name", max_length=120)
    latest = (
        DocumentVersion.objects.filter(document_id=version.document_id)
        .order_by("-number")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != version.pk:
        raise DomainError(
            ONBOARDING_VERSION_OUTDATED,
            "This document was just updated. Please read the new version.",
        )
    try:
        with transaction.atomic(durable=True):
            acceptance = Acceptance.objects.create(
                organization_id=actor.organization_id,
                client=actor,
                version=version,
                text_seen=version.body,
                accepted_at=timezone.now(),
                signature=signature,
            )
            audit.record(actor, ONBOARDING_DOCUMENT_ACCEPTED, acceptance, version=version.pk)
    except IntegrityError:
        return Acceptance.objects.get(client=actor, version=version)  # a double submit
    return acceptance
