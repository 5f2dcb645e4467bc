"""A client's own data: download it, or be deleted (anonymised).

Deletion keeps the studio's books true: bookings, packages, the credit ledger and
payments stay (counts, revenue and `check_ledger` are unchanged) but no longer say who.
Future bookings are cancelled and waitlist places left through the booking actions, so
credits come back and places free up exactly as if the client had cancelled. The person
(User) is anonymised when this was their last organization; otherwise only what this
organization holds about them is cleared.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from allauth.account.models import EmailAddress
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from reformer.accounts.models import ClientProfile, Membership
from reformer.api.models import ApiKey
from reformer.billing.models import ClientPackage, CreditLedger, Payment, Subscription
from reformer.bookings import actions as bookings
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import audit
from reformer.core.errors import DomainError, PermissionDenied
from reformer.core.permissions import (
    BOOK_SELF,
    MANAGE_ORGANIZATION,
    has_capability,
    is_client,
    require_same_organization,
)
from reformer.notifications.models import Message

DELETED_NAME = "Deleted client"


def _require_self_or_owner(actor: Membership, client: Membership) -> None:
    require_same_organization(actor, client, "client")
    if actor.pk == client.pk and has_capability(actor, BOOK_SELF):
        return
    if not has_capability(actor, MANAGE_ORGANIZATION):
        raise PermissionDenied(MANAGE_ORGANIZATION)
    if not is_client(client):
        raise DomainError("validation", "Only a client's data is handled here.", field="client")


def _rows(queryset, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [model_to_dict(row, exclude=list(exclude)) | {"id": row.pk} for row in queryset]


def personal_data(actor: Membership, client: Membership | None = None) -> dict[str, Any]:
    """Everything this organization holds about the client, as JSON-ready data."""
    client = client or actor
    _require_self_or_owner(actor, client)
    user = client.user
    profile = ClientProfile.objects.filter(membership=client).first()
    return json.loads(
        json.dumps(
            {
                "generated_at": timezone.now(),
                "organization": client.organization.name,
                "person": {
                    "email": user.email,
                    "name": user.name,
                    "phone": user.phone,
                    "joined": client.created_at,
                    "notifications": {
                        "class_reminders": user.notify_class_reminders,
                        "booking_confirmations": user.notify_booking_confirmations,
                        "promotional_email": user.notify_promotional_email,
                        "sms": user.notify_sms,
                    },
                },
                "profile": profile and model_to_dict(profile, exclude=["membership"]),
                "packages": _rows(ClientPackage.objects.filter(client=client)),
                "credit_ledger": _rows(
                    CreditLedger.objects.filter(client_package__client=client), ("actor",)
                ),
                "bookings": _rows(Booking.objects.filter(client=client)),
                "waitlist": _rows(WaitlistEntry.objects.filter(client=client)),
                "payments": _rows(Payment.objects.filter(client=client)),
                "subscriptions": _rows(Subscription.objects.filter(client=client)),
                "messages": _rows(
                    Message.objects.filter(recipient=user, organization=client.organization),
                    ("html_body", "context"),
                ),
            },
            cls=DjangoJSONEncoder,
        )
    )


def delete_client(actor: Membership, client: Membership | None = None) -> Membership:
    """Anonymise the client in this organization (see the module docstring)."""
    client = client or actor
    _require_self_or_owner(actor, client)
    client = Membership.objects.select_related("user", "organization").get(pk=client.pk)
    if not client.active and client.user.email.endswith("@deleted.invalid"):
        return client
    now = timezone.now()
    # The booking actions commit on their own (durable transactions), one by one, exactly
    # as if the client had cancelled each; if one is refused (busy), nothing is anonymised
    # yet and asking again finishes the job.
    for booking in Booking.objects.filter(
        client=client, status=Booking.Status.CONFIRMED, starts_at__gt=now
    ):
        bookings.cancel_booking(actor, booking, reason="Client data deleted")
    for entry in WaitlistEntry.objects.filter(client=client, status=WaitlistEntry.Status.WAITING):
        bookings.leave_waitlist(actor, entry)
    with transaction.atomic(durable=True):
        _anonymise(client, now)
        audit.record(actor, "accounts.client.deleted", client, by_self=actor.pk == client.pk)
    return client


def _anonymise(client: Membership, now: dt.datetime) -> None:
    ClientProfile.objects.filter(membership=client).update(
        emergency_contact_name="", emergency_contact_phone="", health_notes="", birth_date=None
    )
    Membership.objects.filter(pk=client.pk).update(active=False, bio="")
    ApiKey.objects.filter(acts_as=client, revoked_at__isnull=True).update(revoked_at=now)
    user = client.user
    messages = Message.objects.filter(recipient=user, organization_id=client.organization_id)
    # Nothing more goes out to them; what was sent no longer says what or to whom.
    messages.filter(status=Message.Status.QUEUED).update(status=Message.Status.SKIPPED)
    messages.update(to_address="", body="", html_body="", context={})
    still_elsewhere = (
        Membership.objects.filter(user=user, active=True).exclude(pk=client.pk).exists()
    )
    if still_elsewhere:
        return
    if user.photo:
        user.photo.delete(save=False)
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.name = DELETED_NAME
    user.phone = ""
    user.photo = ""
    user.is_active = False
    user.notify_class_reminders = user.notify_booking_confirmations = False
    user.notify_promotional_email = user.notify_sms = False
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.filter(user=user).delete()
    Message.objects.filter(recipient=user).update(to_address="", body="", html_body="", context={})
