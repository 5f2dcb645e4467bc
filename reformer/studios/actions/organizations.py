"""Starting an organization and changing its name, zone and branding."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_image_file_extension
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from reformer.accounts.models import Membership, Role, User
from reformer.core import audit, timeformat
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.permissions import MANAGE_ORGANIZATION, require
from reformer.studios.audit_codes import STUDIOS_ORGANIZATION_CREATED, STUDIOS_ORGANIZATION_UPDATED
from reformer.studios.models import Organization
from reformer.studios.validation import (
    apply_changes,
    clean_colour,
    clean_text,
    clean_time_zone,
    invalid,
    violated_constraint,
)

# Capability name for starting an organization: any signed-in, active user may.
CREATE_ORGANIZATION = "organization.create"
MAX_LOGO_BYTES = 2 * 1024 * 1024
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def create_organization(
    user: User, *, name: str, slug: str | None = None, time_zone: str
) -> Membership:
    """Start a new organization with `user` as its owner; returns the owner membership."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(CREATE_ORGANIZATION)
    name = clean_text(name, field="name", label="Name", max_length=120)
    time_zone = clean_time_zone(time_zone)
    if slug is not None:
        slug = slug.strip().lower()
        if not SLUG.match(slug) or len(slug) > 60:
            raise invalid("Use lowercase letters, digits and hyphens for the web address.", "slug")
    with transaction.atomic(durable=True):
        organization = _insert_organization(name=name, slug=slug, time_zone=time_zone)
        owner = Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
        audit.record(
            user, STUDIOS_ORGANIZATION_CREATED, organization, name=name, slug=organization.slug
        )
    return owner


def _insert_organization(*, name: str, slug: str | None, time_zone: str) -> Organization:
    base = slugify(name)[:50].strip("-") or "studio"
    for attempt in range(1, 20):
        candidate = slug or (base if attempt == 1 else f"{base}-{attempt}")
        if slug is None and Organization.objects.filter(slug=candidate).exists():
            continue
        try:
            with transaction.atomic():
                return Organization.objects.create(name=name, slug=candidate, time_zone=time_zone)
        except IntegrityError as exc:
            if "slug" not in (violated_constraint(exc) or ""):
                raise
            if slug is not None:
                raise invalid(f"The web address {slug!r} is taken; try another.", "slug") from None
    raise invalid("Could not find a free web address for that name; choose one.", "slug")


def update_organization(
    actor: Membership,
    organization: Organization,
    *,
    name: str,
    time_zone: str,
    brand_colour: str,
    public_description: str,
    logo: File | None = None,
    locale: str | None = None,
) -> Organization:
    """Name, default time zone, date and time formats, branding. `logo=None` keeps the
    current logo, `locale=None` the current formats ('' = from the time zone's country)."""
    if organization.pk != actor.organization_id:
        raise NotFound("organization")
    require(actor, MANAGE_ORGANIZATION)
    values: dict[str, object] = {
        "name": clean_text(name, field="name", label="Name", max_length=120),
        "time_zone": clean_time_zone(time_zone),
        "brand_colour": clean_colour(brand_colour, "brand_colour"),
        "public_description": clean_text(
            public_description,
            field="public_description",
            label="Description",
            max_length=5000,
            required=False,
        ),
    }
    if locale is not None:
        if locale and locale not in timeformat.LOCALES:
            raise invalid("Choose how dates and times are written from the list.", "locale")
        values["locale"] = locale
    if logo is not None:
        _check_logo(logo)
    with transaction.atomic(durable=True):
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        changes = apply_changes(organization, values)
        if logo is not None:
            organization.logo.save(logo.name or "logo", logo, save=False)
            changes["logo"] = ["", organization.logo.name]
        if changes:
            organization.save()
            audit.record(actor, STUDIOS_ORGANIZATION_UPDATED, organization, changes=changes)
    return organization


def _check_logo(logo: File) -> None:
    try:
        validate_image_file_extension(logo)
    except ValidationError:
        raise invalid("The logo must be an image file such as PNG or JPEG.", "logo") from None
    if (logo.size or 0) > MAX_LOGO_BYTES:
        raise invalid("The logo is too large: at most 2 MB.", "logo")
