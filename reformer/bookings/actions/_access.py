"""Who may act on whose bookings (the capabilities come from core.permissions only)."""

from __future__ import annotations

from reformer.accounts.models import Membership
from reformer.core.errors import VALIDATION, DomainError, PermissionDenied
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    BOOK_SELF,
    has_capability,
    require,
    require_same_organization,
)
from reformer.scheduling.models import ClassSession


def resolve_client(
    actor: Membership, session: ClassSession, client: Membership | None
) -> Membership:
    """The client a booking or waitlist place is for: the actor themself (BOOK_SELF), or a
    client chosen by staff allowed to book for clients in this class's studio."""
    require_same_organization(actor, session, "class")
    if client is None or client.pk == actor.pk:
        if has_capability(actor, BOOK_SELF):
            return actor
        require(actor, BOOK_FOR_CLIENT, session=session)
        raise DomainError(VALIDATION, "Choose the client to book for.", field="client")
    require_same_organization(actor, client, "client")
    require(actor, BOOK_FOR_CLIENT, session=session)
    if not has_capability(client, BOOK_SELF):
        raise DomainError(
            VALIDATION, "Only active clients can be booked into classes.", field="client"
        )
    return client


def require_own_or_desk(actor: Membership, client_id: int, session: ClassSession) -> bool:
    """The actor's own booking (True), or staff who may act for clients in this studio
    (False); anyone else is refused."""
    if client_id == actor.pk and has_capability(actor, BOOK_SELF):
        return True
    if not has_capability(actor, BOOK_FOR_CLIENT, session=session):
        raise PermissionDenied(BOOK_FOR_CLIENT)
    return False
