"""A booking's writes in one round trip (psycopg's pipeline mode: core/batched_reads.py).

The audit row, the confirmation with its job, the guarded counter update, the booking insert
and the credit spend go to PostgreSQL together and are answered together, instead of one
round trip each: on a busy machine a round trip costs a booking more than any of these
statements does (bench/booking.py). The server still runs them one after another, each
with its own snapshot, so the insert's free-spot search starts after the class lock is ours
(_place.py). Nothing waits for an answer in between, so each statement that depends on an
earlier one is guarded in SQL instead: the insert on the take's mark, the spend on the
booking row (take_place_statements, billing.spend_statement). An error in any of them
(a constraint, a lock wait past lock_timeout) is raised once all are answered, as Django
raises it from a single statement, and is mapped to the same domain errors by the caller.

Used for a direct booking or a switch whose confirmation is one statement and for which no
webhook endpoint listens (the audit row is written without its model signal); a promotion,
a webhook subscriber, or a kind with push messages take the statement-by-statement path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reformer.accounts.models import Membership
from reformer.billing.actions import spend_statement, spent
from reformer.billing.models import CreditLedger
from reformer.bookings import eligibility
from reformer.bookings.actions._place import Placed, placed, take_place_statements
from reformer.bookings.audit_codes import BOOKINGS_BOOKING_CREATED
from reformer.bookings.models import Booking
from reformer.core import audit
from reformer.core.batched_reads import run_together
from reformer.notifications.actions import PendingEmail
from reformer.notifications.models import Message


@dataclass
class Written:
    message: Message
    placed: Placed | None  # None: the class had no place (nothing else was written)
    first_spent: bool  # whether the first candidate package paid


def write_together(
    actor: Membership | None,
    booking: Booking,
    confirmation: PendingEmail,
    choice: eligibility.PackageChoice,
    *,
    chosen_spot: bool,
    with_state: bool,
    now: dt.datetime,
) -> Written:
    """The audit row, `confirmation`, the take, the insert and the spend from the first
    candidate package, in one round trip (plus psycopg's BEGIN when the transaction is new).
    A refused take leaves the audit row and the message written: the caller raises, and the
    transaction's rollback takes them back, as on the statement-by-statement path."""
    session = booking.session
    _audit, message_rows, _take, insert_rows, spend_rows = run_together(
        audit.insert_statement(
            actor,
            BOOKINGS_BOOKING_CREATED,
            booking,
            at=now,
            session=session.pk,
            client=booking.client_id,
            source=booking.source,
        ),
        (confirmation.sql, confirmation.params),
        *take_place_statements(booking, chosen_spot=chosen_spot, now=now, with_state=with_state),
        spend_statement(
            choice.package,
            booking_id=booking.pk,
            reason=CreditLedger.Reason.BOOKING,
            actor_user_id=actor.user_id if actor is not None else None,
            now=now,
        ),
    )
    return Written(
        message=confirmation.message(message_rows),
        placed=placed(booking, insert_rows[0] if insert_rows else None, with_state=with_state),
        first_spent=spent(choice.package, spend_rows[0] if spend_rows else None),
    )
