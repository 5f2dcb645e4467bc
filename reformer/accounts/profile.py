"""A person's own profile: contact details, email, password, photo, notification preferences.

Most actions here are done by a user to themselves (`user` first), with no organization
role involved; the emergency contact is stored on the client profile of one membership.
`update_staff_details` is the exception: a manager or owner edits a staff member's bio
(core.permissions.may_manage_member decides who may). A pending email change is not
stored: the confirmation link carries a signed, expiring token with the user id, the old
and the new address.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import IO

import phonenumbers
from allauth.account.models import EmailAddress
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from reformer.accounts import actions as accounts_actions
from reformer.accounts.audit_codes import (
    ACCOUNTS_CLIENT_DETAILS_UPDATED,
    ACCOUNTS_MEMBERSHIP_DETAILS_UPDATED,
    ACCOUNTS_USER_EMAIL_CHANGE_REQUESTED,
    ACCOUNTS_USER_EMAIL_CHANGED,
    ACCOUNTS_USER_PASSWORD_CHANGED,
    ACCOUNTS_USER_PHOTO_CHANGED,
    ACCOUNTS_USER_PHOTO_REMOVED,
    ACCOUNTS_USER_PREFERENCES_UPDATED,
    ACCOUNTS_USER_PROFILE_UPDATED,
)
from reformer.accounts.birthdays import clean_birth_date
from reformer.accounts.errors import EMAIL_CHANGE_EXPIRED, EMAIL_CHANGE_INVALID
from reformer.accounts.models import ClientProfile, Membership, User
from reformer.core import audit, live, permissions
from reformer.core.errors import VALIDATION, DomainError, NotFound, PermissionDenied
from reformer.core.timezones import local_today

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_SIZE = (300, 300)
PHOTO_FORMATS = {"JPEG", "PNG"}
EMAIL_CHANGE_SALT = "reformer.accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 60 * 60 * 24  # a day
PHOTO_TOO_LARGE = "Image must be smaller than 5MB"
UPLOAD_FAILED = "Upload failed. Please try again"
KEEP = object()  # update_profile: leave the birth date as it is


# --- Phone numbers ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """Time zone -> ISO country code, from the tz database's zone.tab."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    pairs = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                pairs[parts[2]] = parts[0]
    return pairs


def default_region(membership: Membership | None) -> str:
    """Region for numbers typed without a country code: the country of the person's home
    studio (accounts.home: where they book), else of the organization's zone, else "US".
    The one rule for the profile, turning texts on and the studio's contact number.

    Studios carry a time zone, not a country; the zone's country is a good guess.
    """
    if membership is not None:
        from reformer.accounts.home import home_time_zone

        for name in (home_time_zone(membership), membership.organization.time_zone):
            if country := _zone_countries().get(name):
                return country
    return "US"


def phone_example(region: str) -> str:
    """A mobile number written as someone in `region` would check it: "+44 7400 123456"."""
    if region == "US":
        return "+1 415 555 0123"
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return "+1 415 555 0123"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_phone(value: str, region: str, *, field: str = "phone") -> str:
    """A valid phone number in E.164, or "" for an empty value."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            VALIDATION,
            f"Enter a valid phone number, e.g. {phone_example(region)}.",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- Profile fields -------------------------------------------------------------------------------


def update_profile(
    user: User,
    *,
    name: str,
    phone: str,
    membership: Membership | None = None,
    emergency_contact_name: str | None = None,
    emergency_contact_phone: str | None = None,
    birth_date: dt.date | object | None = KEEP,
) -> User:
    """Save name and phone; with a client membership also its emergency contact and birth
    date.

    `None` for the emergency contact, and `KEEP` for the birth date, leave them as they are
    (staff have neither); a birth date of `None` removes it.
    """
    name = (name or "").strip()
    if not name:
        raise DomainError(VALIDATION, "Enter your full name.", field="name")
    if len(name) > 150:
        raise DomainError(VALIDATION, "Keep the name under 150 characters.", field="name")
    if membership is not None and membership.user_id != user.pk:
        raise NotFound(message="That membership was not found.")
    region = default_region(membership)
    phone = normalize_phone(phone, region)
    contact_changes: dict[str, str | dt.date | None] = {}
    if emergency_contact_name is not None or emergency_contact_phone is not None:
        contact_name = (emergency_contact_name or "").strip()[:150]
        contact_phone = normalize_phone(
            emergency_contact_phone or "", region, field="emergency_contact_phone"
        )
        if contact_phone and not contact_name:
            raise DomainError(
                VALIDATION,
                "Enter the emergency contact's name.",
                field="emergency_contact_name",
            )
        contact_changes = {
            "emergency_contact_name": contact_name,
            "emergency_contact_phone": contact_phone,
        }
    if birth_date is not KEEP:
        assert birth_date is None or isinstance(birth_date, dt.date)  # KEEP handled above
        contact_changes["birth_date"] = clean_birth_date(
            birth_date, local_today(membership.organization.time_zone if membership else "UTC")
        )
    with transaction.atomic():
        user.name, user.phone = name, phone
        user.save(update_fields=["name", "phone"])
        if contact_changes:
            profile = _client_profile(membership)
            if profile is None:
                raise DomainError(VALIDATION, "Only clients have these details.")
            for key, value in contact_changes.items():
                setattr(profile, key, value)
            profile.save(update_fields=list(contact_changes))
        audit.record(
            user,
            ACCOUNTS_USER_PROFILE_UPDATED,
            user,
            organization_id=membership.organization_id if membership else None,
            fields=["name", "phone", *contact_changes],
        )
    return user


def set_client_birth_date(
    actor: Membership, client: Membership, birth_date: dt.date | None
) -> ClientProfile:
    """The desk gives or corrects a client's birth date (None removes it)."""
    if client.organization_id != actor.organization_id or not permissions.is_client(client):
        raise NotFound(message="That client was not found.")
    permissions.require(actor, permissions.EDIT_CLIENT_DETAILS)
    birth_date = clean_birth_date(birth_date, local_today(actor.organization.time_zone))
    with transaction.atomic(durable=True):
        profile = _client_profile(client)
        assert profile is not None  # a client membership, checked above
        profile.birth_date = birth_date
        profile.save(update_fields=["birth_date"])
        audit.record(actor, ACCOUNTS_CLIENT_DETAILS_UPDATED, client, fields=["birth_date"])
    return profile


def _client_profile(membership: Membership | None) -> ClientProfile | None:
    if membership is None or not permissions.is_client(membership):
        return None
    profile, _ = ClientProfile.objects.get_or_create(
        membership=membership, defaults={"organization_id": membership.organization_id}
    )
    return profile


def update_notification_preferences(
    user: User,
    *,
    class_reminders: bool,
    booking_confirmations: bool,
    promotional_email: bool,
) -> User:
    """Store the preferences the notification jobs read before sending anything. Texts are
    turned on by confirming a number (notifications.sms_consent), not here."""
    with transaction.atomic():
        user.notify_class_reminders = class_reminders
        user.notify_booking_confirmations = booking_confirmations
        user.notify_promotional_email = promotional_email
        fields = [
            "notify_class_reminders",
            "notify_booking_confirmations",
            "notify_promotional_email",
        ]
        user.save(update_fields=fields)
        audit.record(
            user,
            ACCOUNTS_USER_PREFERENCES_UPDATED,
            user,
            **{field: getattr(user, field) for field in fields},
        )
    return user


# --- Staff details, edited by an owner or manager ----------------------------------------


def name_is_shared(membership: Membership) -> bool:
    """True when the person also belongs to another organization: their name is their own."""
    return (
        Membership.objects.filter(user_id=membership.user_id)
        .exclude(organization_id=membership.organization_id)
        .exists()
    )


def update_staff_details(
    actor: Membership, membership: Membership, *, bio: str, name: str | None = None
) -> Membership:
    """Edit a staff member's bio and, unless they belong elsewhere too, their name.

    Owners edit anyone; managers only front desk and instructors of their own studios.
    """
    permissions.require(actor, permissions.MANAGE_STAFF)
    permissions.require_same_organization(actor, membership, "member")
    if (reason := permissions.why_not_manage_member(actor, membership)) is not None:
        error = PermissionDenied(permissions.MANAGE_STAFF)
        error.message = reason  # the page says why, not only "ask an owner or manager"
        raise error
    bio = (bio or "").strip()
    if len(bio) > 2000:
        raise DomainError(VALIDATION, "Keep the bio under 2,000 characters.", field="bio")
    with transaction.atomic():
        membership.bio = bio
        membership.save(update_fields=["bio"])
        changed = ["bio"]
        if name is not None and not name_is_shared(membership):
            name = name.strip()
            if not name:
                raise DomainError(VALIDATION, "Enter a name.", field="name")
            if len(name) > 150:
                raise DomainError(VALIDATION, "Keep the name under 150 characters.", field="name")
            membership.user.name = name
            membership.user.save(update_fields=["name"])
            changed.append("name")
        audit.record(actor, ACCOUNTS_MEMBERSHIP_DETAILS_UPDATED, membership, fields=changed)
    return membership


# --- Password -------------------------------------------------------------------------------------


def change_password(user: User, *, current_password: str, new_password: str) -> User:
    """Set a new password after checking the current one and Django's validators.

    The view must call `update_session_auth_hash` so this session stays logged in.
    """
    if not user.check_password(current_password or ""):
        raise DomainError(
            VALIDATION, "Your current password is incorrect.", field="current_password"
        )
    try:
        password_validation.validate_password(new_password or "", user)
    except ValidationError as error:
        raise DomainError(VALIDATION, " ".join(error.messages), field="new_password") from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(user, ACCOUNTS_USER_PASSWORD_CHANGED, user)
    return user


# --- Email change ------------------------------------------------------------------------------


def _email_taken(email: str, user: User) -> bool:
    return accounts_actions.email_is_taken(email, other_than=user)


def _clean_new_email(email: str, user: User) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(VALIDATION, "Enter a valid email address.", field="email") from None
    if email == user.email.lower():
        raise DomainError(VALIDATION, "That is already your email address.", field="email")
    if _email_taken(email, user):
        raise DomainError(VALIDATION, "This email is already registered", field="email")
    return email


def email_change_token(user: User, new_email: str) -> str:
    return signing.dumps(
        {"user": user.pk, "old": user.email.lower(), "new": new_email},
        salt=EMAIL_CHANGE_SALT,
        compress=True,
    )


def request_email_change(user: User, *, new_email: str, confirm_url: Callable[[str], str]) -> str:
    """Mail a confirmation link to the new address; the email changes only when it is used.

    `confirm_url(token)` builds the absolute link (the web layer knows the host). Returns the
    token. The current address keeps working until then.
    """
    new_email = _clean_new_email(new_email, user)
    token = email_change_token(user, new_email)
    link = confirm_url(token)
    with transaction.atomic():
        audit.record(user, ACCOUNTS_USER_EMAIL_CHANGE_REQUESTED, user, new_email=new_email)
        transaction.on_commit(lambda: _send_confirmation(user, new_email, link))
    return token


def _send_confirmation(user: User, new_email: str, link: str) -> None:
    body = (
        f"Hello {user.display_name},\n\n"
        f"Someone (hopefully you) asked to change the email address of your Reformer "
        f"account to {new_email}.\n\nConfirm the change within 24 hours by opening:\n{link}\n\n"
        f"If you did not ask for this, ignore this message: nothing changes."
    )
    send_mail("Confirm your new email address", body, None, [new_email])


def confirm_email_change(token: str, *, user: User | None = None) -> User:
    """Apply a confirmed email change and make the new address the verified primary one.

    `user`, when given (the logged-in user), must be the one the link was made for.
    """
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError(
            EMAIL_CHANGE_EXPIRED, "This link has expired. Ask for a new one from your profile."
        ) from None
    except signing.BadSignature:
        raise DomainError(EMAIL_CHANGE_INVALID, "This confirmation link is not valid.") from None
    with transaction.atomic():
        target = User.objects.select_for_update().filter(pk=data["user"]).first()
        if target is None or (user is not None and user.pk != target.pk):
            raise DomainError(EMAIL_CHANGE_INVALID, "This confirmation link is not valid.")
        if target.email.lower() == data["new"]:
            return target  # used twice: already done
        if target.email.lower() != data["old"]:
            raise DomainError(
                EMAIL_CHANGE_INVALID, "This link is out of date: your email changed since."
            )
        if _email_taken(data["new"], target):
            raise DomainError(VALIDATION, "This email is already registered", field="email")
        old_email = target.email
        target.email = data["new"]
        target.save(update_fields=["email"])
        _make_primary_address(target, data["new"])
        audit.record(
            target, ACCOUNTS_USER_EMAIL_CHANGED, target, old_email=old_email, new=data["new"]
        )
        live.publish_after_commit(
            [live.user_channel(target.pk)], "profile", "email_changed", [target.pk]
        )
    return target


def _make_primary_address(user: User, email: str) -> None:
    """Keep allauth's addresses consistent: the new one verified and primary, old ones gone."""
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    else:
        address.email, address.verified, address.primary = email, True, True
        address.save(update_fields=["email", "verified", "primary"])


# --- Photo -------------------------------------------------------------------------------------


def _read_limited(upload: IO[bytes]) -> bytes:
    size = getattr(upload, "size", None)  # uploads know it; other files are read to find out
    if size is not None and size > MAX_PHOTO_BYTES:
        raise DomainError(VALIDATION, PHOTO_TOO_LARGE, field="photo")
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(VALIDATION, PHOTO_TOO_LARGE, field="photo")
    return data


def make_thumbnail(data: bytes) -> bytes:
    """Check an image by its content and return a 300x300 JPEG (center-cropped, upright)."""
    not_an_image = DomainError(VALIDATION, "Choose a JPEG or PNG image.", field="photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in PHOTO_FORMATS:
            raise not_an_image
        # verify() leaves the image unusable: open it again to decode the pixels.
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            thumbnail = ImageOps.fit(upright, PHOTO_SIZE, Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise not_an_image from None
    if thumbnail.mode in ("RGBA", "LA", "P"):
        thumbnail = thumbnail.convert("RGBA")
        background = Image.new("RGB", thumbnail.size, "white")
        background.paste(thumbnail, mask=thumbnail.getchannel("A"))
        thumbnail = background
    elif thumbnail.mode != "RGB":
        thumbnail = thumbnail.convert("RGB")
    out = io.BytesIO()
    thumbnail.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def read_photo(upload: IO[bytes]) -> bytes:
    """An uploaded photo (at most 5 MB, a real JPEG or PNG) as a 300x300 JPEG thumbnail:
    the rule for every photo people upload (profiles, class types)."""
    return make_thumbnail(_read_limited(upload))


def set_photo(user: User, *, upload: IO[bytes]) -> User:
    """Store a new profile photo as a 300x300 thumbnail, then delete the old one.

    A storage failure leaves the old photo in place and says "Upload failed. Please try
    again". The file is written before the database row so no row points to a missing file.
    """
    thumbnail = read_photo(upload)
    name = f"photos/{user.pk}/{uuid.uuid4().hex}.jpg"
    try:
        saved_name = default_storage.save(name, ContentFile(thumbnail))
    except Exception:
        logger.exception("profile photo upload of user %s failed", user.pk)
        raise DomainError(UPLOAD_FAILED, UPLOAD_FAILED, field="photo") from None
    old_name = user.photo.name if user.photo else ""
    try:
        with transaction.atomic():
            user.photo = saved_name
            user.save(update_fields=["photo"])
            audit.record(user, ACCOUNTS_USER_PHOTO_CHANGED, user)
            if old_name and old_name != saved_name:
                transaction.on_commit(lambda: _delete_quietly(old_name))
    except Exception:
        _delete_quietly(saved_name)
        user.photo = old_name
        raise
    return user


def remove_photo(user: User) -> User:
    old_name = user.photo.name if user.photo else ""
    if not old_name:
        return user
    with transaction.atomic():
        user.photo = ""
        user.save(update_fields=["photo"])
        audit.record(user, ACCOUNTS_USER_PHOTO_REMOVED, user)
        transaction.on_commit(lambda: _delete_quietly(old_name))
    return user


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # An orphaned file must not fail the change; it is only logged.
        logger.exception("could not delete the old profile photo %s", name)


def photo_url(user: User) -> str:
    return default_storage.url(user.photo.name) if user.photo else ""


__all__ = [
    "change_password",
    "confirm_email_change",
    "default_region",
    "make_thumbnail",
    "normalize_phone",
    "phone_example",
    "read_photo",
    "remove_photo",
    "request_email_change",
    "set_photo",
    "update_notification_preferences",
    "update_profile",
]
