"""Class types: what is taught (name, length, default size, colour, what to bring, photo)."""

from __future__ import annotations

import logging
import uuid
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from reformer.accounts.models import Membership
from reformer.accounts.profile import UPLOAD_FAILED, read_photo
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.permissions import MANAGE_CLASS_TYPES, require, require_same_organization
from reformer.scheduling.audit_codes import (
    SCHEDULING_CLASS_TYPE_CREATED,
    SCHEDULING_CLASS_TYPE_PHOTO_CHANGED,
    SCHEDULING_CLASS_TYPE_PHOTO_REMOVED,
    SCHEDULING_CLASS_TYPE_UPDATED,
)
from reformer.scheduling.models import ClassType
from reformer.studios.validation import (
    apply_changes,
    clean_colour,
    clean_int,
    clean_text,
    invalid,
    violated_constraint,
)

logger = logging.getLogger(__name__)

MAX_CLASS_CAPACITY = 500


def _values(
    *,
    name: str | None,
    duration_minutes: int | None,
    default_capacity: int | None,
    colour: str | None,
    description: str | None,
    what_to_bring: str | None = None,
) -> dict[str, Any]:
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = clean_text(name, field="name", label="Name", max_length=80)
    if duration_minutes is not None:
        values["duration_minutes"] = clean_int(
            duration_minutes,
            field="duration_minutes",
            label="Length (minutes)",
            minimum=5,
            maximum=600,
        )
    if default_capacity is not None:
        values["default_capacity"] = clean_int(
            default_capacity,
            field="default_capacity",
            label="Default capacity",
            minimum=1,
            maximum=MAX_CLASS_CAPACITY,
        )
    if colour is not None:
        values["colour"] = clean_colour(colour)
    if description is not None:
        values["description"] = clean_text(
            description,
            field="description",
            label="Description",
            max_length=5000,
            required=False,
        )
    if what_to_bring is not None:
        values["what_to_bring"] = clean_text(
            what_to_bring,
            field="what_to_bring",
            label="What to bring",
            max_length=300,
            required=False,
        )
    return values


def _save(class_type: ClassType, *, create: bool) -> None:
    try:
        with transaction.atomic():
            class_type.save(force_insert=create)
    except IntegrityError as exc:
        if violated_constraint(exc) == "class_type_name_unique_per_organization":
            raise invalid(
                f"There is already a class type called {class_type.name}.", "name"
            ) from None
        raise


def create_class_type(
    actor: Membership,
    *,
    name: str,
    duration_minutes: int = 50,
    default_capacity: int = 10,
    colour: str = "#3b6e8f",
    description: str = "",
    what_to_bring: str = "",
) -> ClassType:
    require(actor, MANAGE_CLASS_TYPES)
    values = _values(
        name=name,
        duration_minutes=duration_minutes,
        default_capacity=default_capacity,
        colour=colour,
        description=description,
        what_to_bring=what_to_bring,
    )
    with transaction.atomic(durable=True):
        class_type = ClassType(organization_id=actor.organization_id, **values)
        _save(class_type, create=True)
        audit.record(actor, SCHEDULING_CLASS_TYPE_CREATED, class_type, **values)
    return class_type


def update_class_type(
    actor: Membership,
    class_type: ClassType,
    *,
    name: str | None = None,
    duration_minutes: int | None = None,
    default_capacity: int | None = None,
    colour: str | None = None,
    description: str | None = None,
    what_to_bring: str | None = None,
    active: bool | None = None,
) -> ClassType:
    """Change the given fields (None = unchanged). Classes already scheduled keep their own
    length and capacity; `active=False` archives the type (no new classes, no generation)."""
    require_same_organization(actor, class_type, "class type")
    require(actor, MANAGE_CLASS_TYPES)
    values = _values(
        name=name,
        duration_minutes=duration_minutes,
        default_capacity=default_capacity,
        colour=colour,
        description=description,
        what_to_bring=what_to_bring,
    )
    if active is not None:
        values["active"] = bool(active)
    with transaction.atomic(durable=True):
        class_type = ClassType.objects.select_for_update().get(pk=class_type.pk)
        changes = apply_changes(class_type, values)
        if changes:
            _save(class_type, create=False)
            audit.record(actor, SCHEDULING_CLASS_TYPE_UPDATED, class_type, changes=changes)
    return class_type


def set_class_type_photo(
    actor: Membership, class_type: ClassType, *, upload: IO[bytes]
) -> ClassType:
    """Store a photo for the class type as a 300x300 JPEG checked by its content (the
    profile photo's rules), then delete the old one. The file is written before the row, so
    no row points to a missing file; a storage failure leaves the old photo in place."""
    require_same_organization(actor, class_type, "class type")
    require(actor, MANAGE_CLASS_TYPES)
    thumbnail = read_photo(upload)
    name = f"class-types/{class_type.organization_id}/{uuid.uuid4().hex}.jpg"
    try:
        saved = default_storage.save(name, ContentFile(thumbnail))
    except Exception:
        logger.exception("class type photo upload of %s failed", class_type.pk)
        raise DomainError(UPLOAD_FAILED, UPLOAD_FAILED, field="photo") from None
    try:
        with transaction.atomic(durable=True):
            class_type = ClassType.objects.select_for_update().get(pk=class_type.pk)
            old = class_type.photo.name if class_type.photo else ""
            class_type.photo = saved
            class_type.save(update_fields=["photo"])
            audit.record(actor, SCHEDULING_CLASS_TYPE_PHOTO_CHANGED, class_type)
            if old:
                transaction.on_commit(lambda: _delete_quietly(old))
    except Exception:
        _delete_quietly(saved)
        raise
    return class_type


def remove_class_type_photo(actor: Membership, class_type: ClassType) -> ClassType:
    require_same_organization(actor, class_type, "class type")
    require(actor, MANAGE_CLASS_TYPES)
    with transaction.atomic(durable=True):
        class_type = ClassType.objects.select_for_update().get(pk=class_type.pk)
        old = class_type.photo.name if class_type.photo else ""
        if old:
            class_type.photo = ""
            class_type.save(update_fields=["photo"])
            audit.record(actor, SCHEDULING_CLASS_TYPE_PHOTO_REMOVED, class_type)
            transaction.on_commit(lambda: _delete_quietly(old))
    return class_type


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # an orphaned file must not fail the change; it is only logged
        logger.exception("could not delete the old class type photo %s", name)
