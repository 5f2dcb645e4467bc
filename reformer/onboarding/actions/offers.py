"""Setting up the newcomer path: intro offers, class requirements, client tags."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import PackageProduct
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError, NotFound
from reformer.core.permissions import (
    GRANT_CLIENT_TAG,
    MANAGE_ONBOARDING,
    is_client,
    require,
    require_same_organization,
)
from reformer.onboarding.audit_codes import (
    ONBOARDING_INTRO_OFFER_SET,
    ONBOARDING_REQUIREMENT_ADDED,
    ONBOARDING_REQUIREMENT_REMOVED,
    ONBOARDING_TAG_CREATED,
    ONBOARDING_TAG_GRANTED,
    ONBOARDING_TAG_REVOKED,
)
from reformer.onboarding.models import ClassRequirement, ClientTag, ClientTagGrant, IntroOffer
from reformer.scheduling.models import ClassType
from reformer.studios.validation import clean_int, clean_text, invalid


def set_intro_offer(actor: Membership, product: PackageProduct, enabled: bool) -> IntroOffer:
    """Mark a product for first-timers (or unmark it)."""
    require_same_organization(actor, product, "package")
    require(actor, MANAGE_ONBOARDING)
    with transaction.atomic(durable=True):
        offer, _ = IntroOffer.objects.get_or_create(
            product=product, defaults={"organization_id": actor.organization_id}
        )
        offer.active = bool(enabled)
        offer.save(update_fields=["active"])
        audit.record(actor, ONBOARDING_INTRO_OFFER_SET, offer, active=offer.active)
    return offer


def create_tag(actor: Membership, *, name: object, description: object = "") -> ClientTag:
    require(actor, MANAGE_ONBOARDING)
    name = clean_text(name, field="name", label="Name", max_length=60)
    description = clean_text(
        description, field="description", label="Description", max_length=200, required=False
    )
    try:
        with transaction.atomic(durable=True):
            tag = ClientTag.objects.create(
                organization_id=actor.organization_id, name=name, description=description
            )
            audit.record(actor, ONBOARDING_TAG_CREATED, tag, name=name)
    except IntegrityError:
        raise invalid(f"A tag called “{name}” already exists.", "name") from None
    return tag


def add_requirement(
    actor: Membership,
    class_type: ClassType,
    *,
    kind: str,
    required_class_type: ClassType | None = None,
    min_count: object = 1,
    tag: ClientTag | None = None,
) -> ClassRequirement:
    require_same_organization(actor, class_type, "class type")
    require(actor, MANAGE_ONBOARDING)
    if kind not in ClassRequirement.Kind.values:
        raise invalid("Choose what the class requires.", "kind")
    count = clean_int(min_count, field="min_count", label="How many", minimum=1, maximum=100)
    if kind == ClassRequirement.Kind.ATTENDED:
        if required_class_type is None:
            raise invalid("Choose the class type to have attended.", "required_class_type")
        require_same_organization(actor, required_class_type, "class type")
        if required_class_type.pk == class_type.pk:
            raise invalid("A class can't require itself.", "required_class_type")
    else:
        required_class_type = None
    if kind == ClassRequirement.Kind.TAG:
        if tag is None:
            raise invalid("Choose the tag staff grant.", "tag")
        require_same_organization(actor, tag, "tag")
    else:
        tag = None
    with transaction.atomic(durable=True):
        requirement = ClassRequirement.objects.create(
            organization_id=actor.organization_id,
            class_type=class_type,
            kind=kind,
            required_class_type=required_class_type,
            min_count=count,
            tag=tag,
        )
        audit.record(actor, ONBOARDING_REQUIREMENT_ADDED, requirement, kind=kind)
    return requirement


def remove_requirement(actor: Membership, requirement: ClassRequirement) -> None:
    require_same_organization(actor, requirement, "requirement")
    require(actor, MANAGE_ONBOARDING)
    with transaction.atomic(durable=True):
        audit.record(actor, ONBOARDING_REQUIREMENT_REMOVED, requirement)
        requirement.delete()


def grant_tag(
    actor: Membership, client: Membership, tag: ClientTag, *, note: object = ""
) -> ClientTagGrant:
    """Staff clear a client ("cleared for jumpboard", "Level 2")."""
    require_same_organization(actor, client, "client")
    require_same_organization(actor, tag, "tag")
    require(actor, GRANT_CLIENT_TAG)
    if not is_client(client):
        raise NotFound("client")
    note = clean_text(note, field="note", label="Note", max_length=200, required=False)
    with transaction.atomic(durable=True):
        grant, created = ClientTagGrant.objects.get_or_create(
            client=client,
            tag=tag,
            defaults={
                "organization_id": actor.organization_id,
                "granted_by": actor,
                "granted_at": timezone.now(),
                "note": note,
            },
        )
        if not created:
            raise DomainError(VALIDATION, f"{client.name} already has {tag.name}.", field="tag")
        audit.record(actor, ONBOARDING_TAG_GRANTED, grant, client=client.pk, tag=tag.pk)
    return grant


def revoke_tag(actor: Membership, grant: ClientTagGrant) -> None:
    require_same_organization(actor, grant, "tag")
    require(actor, GRANT_CLIENT_TAG)
    with transaction.atomic(durable=True):
        audit.record(actor, ONBOARDING_TAG_REVOKED, grant, client=grant.client_id)
        grant.delete()
