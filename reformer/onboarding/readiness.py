"""Is the client ready to book: every current document accepted, the health intake filled?

One query. Asked when a client books for themself (classes and appointments); staff booking
at the desk is not stopped (the client signs on arrival), and a waitlist promotion never is
(the client was ready when they queued).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from reformer.accounts.models import Membership
from reformer.core.errors import DomainError
from reformer.onboarding.errors import (
    ONBOARDING_INTAKE_REQUIRED,
    ONBOARDING_WAIVER_REQUIRED,
)

_READINESS_SQL = """
SELECT
  (SELECT json_agg(json_build_array(v.id, d.title, v.number) ORDER BY d.title)
     FROM onboarding_document d
     JOIN LATERAL (SELECT id, number FROM onboarding_documentversion
                    WHERE document_id = d.id ORDER BY number DESC LIMIT 1) v ON true
    WHERE d.organization_id = %(org)s AND d.active
      AND NOT EXISTS (SELECT 1 FROM onboarding_acceptance a
                       WHERE a.client_id = %(client)s AND a.version_id = v.id)),
  EXISTS (SELECT 1 FROM onboarding_intakequestion q
           WHERE q.organization_id = %(org)s AND q.active)
  AND NOT EXISTS (SELECT 1 FROM onboarding_intakeform f WHERE f.client_id = %(client)s)
"""


@dataclass(frozen=True)
class PendingDocument:
    version_id: int
    title: str
    number: int


@dataclass(frozen=True)
class Readiness:
    documents: list[PendingDocument]  # current versions not yet accepted
    intake_missing: bool

    @property
    def ready(self) -> bool:
        return not self.documents and not self.intake_missing


# The query as a part of a larger one (bookings.actions._prechecks: everything a booking reads
# before the class lock, in one round trip): its two columns and their parameters.
READINESS_SQL = _READINESS_SQL


def readiness_params(client: Membership) -> dict[str, int]:
    return {"org": client.organization_id, "client": client.pk}


def readiness_from(documents: list | None, intake_missing: bool | None) -> Readiness:
    pending = [PendingDocument(*row) for row in documents or []]
    return Readiness(pending, bool(intake_missing))


def readiness(client: Membership) -> Readiness:
    with connection.cursor() as cursor:
        cursor.execute(_READINESS_SQL, readiness_params(client))
        return readiness_from(*cursor.fetchone())


def check_ready_to_book(client: Membership, state: Readiness | None = None) -> None:
    """`state`: the client's readiness when already read (bookings.actions._prechecks)."""
    state = state if state is not None else readiness(client)
    if state.documents:
        first = state.documents[0]
        again = " (it has been updated)" if first.number > 1 else ""
        raise DomainError(
            ONBOARDING_WAIVER_REQUIRED,
            f"Please read and accept the {first.title}{again} before booking.",
            step="waiver",
            version_id=first.version_id,
        )
    if state.intake_missing:
        raise DomainError(
            ONBOARDING_INTAKE_REQUIRED,
            "Please fill in the short health form before your first session.",
            step="intake",
        )
