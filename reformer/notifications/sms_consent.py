"""SMS consent (PHX-23): opting in with a code sent to the number, STOP / START / HELP
replies, and turning texts off from the profile. Numbers are stored in E.164."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from reformer.accounts.models import Membership, User
from reformer.accounts.profile import default_region, phone_example
from reformer.core.errors import DomainError
from reformer.notifications import preferences
from reformer.notifications.actions import queue_sms
from reformer.notifications.models import InboundSms, Message, RecipientSettings

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_CODE_GUESSES = 5
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def normalize_mobile(raw: str, *, region: str = "US") -> str:
    """E.164 of a valid number, or a DomainError the profile form shows (its example in
    the region the number was read in)."""
    problem = DomainError(
        "sms.invalid_number",
        f"Invalid phone number format. Enter a mobile number, e.g. {phone_example(region)}.",
        field="phone",
    )
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise problem from exc
    if not phonenumbers.is_valid_number(number):
        raise problem
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(user: User, organization) -> str:
    """The person's default phone region, by the same rule as their profile."""
    membership = (
        Membership.objects.filter(user=user, organization=organization, active=True)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    return default_region(membership) if membership else default_region(None)


def _digest(user: User, code: str) -> str:
    return salted_hmac("reformer.sms-opt-in", f"{user.pk}:{code}").hexdigest()


def start_opt_in(user: User, raw_phone: str, *, organization, studio=None) -> Message:
    """Send a 6-digit code to the number; texts start once it is confirmed."""
    phone = normalize_mobile(raw_phone, region=region_of(user, organization))
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        chosen = preferences.settings_for_update(user)
        chosen.pending_phone = phone
        chosen.pending_code_digest = _digest(user, code)
        chosen.pending_code_expires_at = now + CODE_LIFETIME
        chosen.pending_code_attempts = 0
        chosen.save()
        return queue_sms(
            user,
            "sms_opt_in_code",
            idempotency_key=f"sms-opt-in:{user.pk}:{secrets.token_hex(8)}",
            organization=organization,
            context={"code": code},
            to_address=phone,
            expires_at=now + CODE_LIFETIME,
        )


def _check_code(user: User, code: str, now: dt.datetime) -> None:
    """Raise unless `code` is the pending one; a wrong guess is counted (and committed)."""
    with transaction.atomic():
        chosen = preferences.settings_for_update(user)
        if not chosen.pending_phone or not chosen.pending_code_expires_at:
            raise DomainError("sms.no_code", "Ask for a code first.", field="code")
        if chosen.pending_code_expires_at <= now:
            raise DomainError(
                "sms.code_expired", "That code has expired: ask for a new one.", field="code"
            )
        if chosen.pending_code_attempts >= MAX_CODE_GUESSES:
            raise DomainError(
                "sms.too_many_guesses", "Too many wrong codes: ask for a new one.", field="code"
            )
        if hmac.compare_digest(chosen.pending_code_digest, _digest(user, code.strip())):
            return
        chosen.pending_code_attempts += 1
        chosen.save(update_fields=["pending_code_attempts"])
    raise DomainError(
        "sms.wrong_code", "That code is not right. Check the text and try again.", field="code"
    )


def confirm_opt_in(user: User, code: str, *, organization) -> RecipientSettings:
    now = timezone.now()
    _check_code(user, code, now)
    with transaction.atomic():
        chosen = preferences.settings_for_update(user)
        if not chosen.pending_phone:
            raise DomainError("sms.no_code", "Ask for a code first.", field="code")
        chosen.sms_phone = chosen.pending_phone
        chosen.sms_confirmed_at = now
        chosen.sms_stopped_at = None
        chosen.pending_phone = ""
        chosen.pending_code_digest = ""
        chosen.pending_code_expires_at = None
        chosen.save()
        user.phone = chosen.sms_phone
        user.notify_sms = True
        user.save(update_fields=["phone", "notify_sms"])
        queue_sms(
            user,
            "sms_opted_in",
            idempotency_key=f"sms-opted-in:{user.pk}:{int(now.timestamp())}",
            organization=organization,
            to_address=chosen.sms_phone,
        )
    return chosen


def turn_off(user: User) -> None:
    with transaction.atomic():
        user.notify_sms = False
        user.save(update_fields=["notify_sms"])


def handle_inbound(*, sid: str, from_number: str, body: str) -> tuple[str, str]:
    """Act on a text a person sent (once per sid). Returns (keyword, reply text)."""
    words = (body or "").strip().upper().split()
    keyword = words[0] if words else ""
    kind = (
        "stop"
        if keyword in STOP_WORDS
        else "start"
        if keyword in START_WORDS
        else "help"
        if keyword in HELP_WORDS
        else ""
    )
    try:
        with transaction.atomic():
            InboundSms.objects.create(
                provider_id=sid, from_number=from_number, body=body[:1600], keyword=kind
            )
            _apply_keyword(kind, from_number)
    except IntegrityError:
        pass  # a replay: already acted on
    return kind, _reply(kind, from_number)


def _apply_keyword(kind: str, number: str) -> None:
    now = timezone.now()
    holders = RecipientSettings.objects.select_for_update().filter(sms_phone=number)
    if kind == "stop":
        holders.filter(sms_stopped_at__isnull=True).update(sms_stopped_at=now)
        # Nothing still waiting goes out to a number that said STOP.
        for message in Message.objects.select_for_update().filter(
            channel=Message.Channel.SMS, to_address=number, status=Message.Status.QUEUED
        ):
            from reformer.notifications.sending import set_status

            message.error = "The recipient replied STOP."
            set_status(message, Message.Status.SKIPPED, message.error)
    elif kind == "start":
        holders.update(sms_stopped_at=None)


def _reply(kind: str, number: str) -> str:
    from reformer.notifications.rendering import cached_branding

    last = (
        Message.objects.filter(channel=Message.Channel.SMS, to_address=number)
        .order_by("-pk")
        .values_list("organization_id", flat=True)
        .first()
    )
    brand = cached_branding(last)
    name = brand["name"]
    if kind == "stop":
        return (
            f"{name}: you're unsubscribed and will get no more texts. Reply START to resubscribe."
        )
    if kind == "start":
        return f"{name}: you're subscribed to text reminders again. Reply STOP to opt out."
    if kind == "help":
        contact = " or ".join(
            part for part in (brand.get("contact_phone"), brand.get("reply_to")) if part
        )
        address = f" {brand['address']}." if brand.get("address") else ""
        return (
            f"{name}: class reminders and booking updates.{address} "
            f"Help: {contact or 'reply to any email from us'}. Reply STOP to opt out."
        )
    return ""
