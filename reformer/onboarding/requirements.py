"""Levels and prerequisites of class types: is this client eligible, and if not, why and
what is the way there. Used by every path that places a client in a class (through
bookings.eligibility.check_can_book: direct and staff booking, waitlist promotion)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from reformer.accounts.models import Membership
from reformer.core.errors import DomainError
from reformer.onboarding.errors import (
    BOOKING_REQUIREMENT_UNMET,
)
from reformer.onboarding.models import ClassRequirement

# Every requirement of the class type with whether the client meets it, in one query.
UNMET_SQL = """
SELECT r.id, r.kind, r.min_count, r.required_class_type_id, ct.name AS required_name,
  r.tag_id, t.name AS tag_name,
  CASE r.kind
    WHEN 'attended' THEN (SELECT count(*) FROM bookings_booking b
                            JOIN scheduling_classsession s ON s.id = b.session_id
                           WHERE b.client_id = %(client)s AND b.status = 'attended'
                             AND s.class_type_id = r.required_class_type_id)
    WHEN 'private' THEN (SELECT count(*) FROM appointments_attendee a
                          WHERE a.client_id = %(client)s AND a.status = 'attended')
    ELSE (SELECT count(*) FROM onboarding_clienttaggrant g
           WHERE g.client_id = %(client)s AND g.tag_id = r.tag_id)
  END AS done
  FROM onboarding_classrequirement r
  LEFT JOIN scheduling_classtype ct ON ct.id = r.required_class_type_id
  LEFT JOIN onboarding_clienttag t ON t.id = r.tag_id
 WHERE r.class_type_id = %(class_type)s
 ORDER BY r.id
"""


@dataclass(frozen=True)
class Unmet:
    kind: str
    message: str  # why
    way_there: str  # what to do, e.g. "Book an Intro to Reformer first"
    class_type_id: int | None = None  # where the way there leads (browse filtered by it)
    progress: tuple[int, int] = (0, 1)  # done, needed


# UNMET_SQL's rows as one JSON array, for a larger query (bookings.actions._prechecks).
UNMET_JSON_SQL = f"""
SELECT COALESCE(json_agg(json_build_array(u.id, u.kind, u.min_count, u.required_class_type_id,
                                          u.required_name, u.tag_id, u.tag_name, u.done)
                         ORDER BY u.id), '[]'::json)
  FROM ({UNMET_SQL}) u
"""


def unmet_params(client: Membership, class_type_id: int) -> dict[str, int]:
    return {"client": client.pk, "class_type": class_type_id}


def unmet_requirements(client: Membership, class_type_id: int) -> list[Unmet]:
    with connection.cursor() as cursor:
        cursor.execute(UNMET_SQL, unmet_params(client, class_type_id))
        return unmet_from(cursor.fetchall())


def unmet_from(rows) -> list[Unmet]:
    """The requirements not met, from UNMET_SQL's rows."""
    unmet = []
    for _id, kind, needed, required_type_id, required_name, _tag_id, tag_name, done in rows:
        needed = needed if kind != ClassRequirement.Kind.TAG else 1
        if done >= needed:
            continue
        if kind == ClassRequirement.Kind.ATTENDED:
            times = "once" if needed == 1 else f"{needed} times"
            unmet.append(
                Unmet(
                    kind,
                    f"This class is for clients who have taken {required_name} {times} "
                    f"(you have {done}).",
                    f"Book {_article(required_name)} {required_name} first",
                    required_type_id,
                    (done, needed),
                )
            )
        elif kind == ClassRequirement.Kind.PRIVATE:
            unmet.append(
                Unmet(
                    kind,
                    "This class starts after a private session on the equipment with an "
                    "instructor.",
                    "Book a private session first",
                    None,
                    (done, needed),
                )
            )
        else:
            unmet.append(
                Unmet(
                    kind,
                    f"This class needs clearance from the studio: {tag_name}.",
                    f"Ask your instructor to clear you for {tag_name}",
                    None,
                    (0, 1),
                )
            )
    return unmet


def _article(name: str) -> str:
    return "an" if name[:1].lower() in "aeiou" else "a"


def requirement_refusal(unmet: list[Unmet]) -> DomainError:
    first = unmet[0]
    return DomainError(
        BOOKING_REQUIREMENT_UNMET,
        f"{first.message} {first.way_there}.",
        reason="requirement",
        unmet=unmet,
    )


def check_requirements(
    client: Membership, class_type_id: int, unmet: list[Unmet] | None = None
) -> None:
    """`unmet`: the requirements not met when already read (bookings.actions._prechecks)."""
    unmet = unmet if unmet is not None else unmet_requirements(client, class_type_id)
    if unmet:
        raise requirement_refusal(unmet)
