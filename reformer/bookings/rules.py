"""The booking rules that both SQL and Python read, each written once.

- Which statuses hold a place: `Booking.HOLDING` (models); `HOLDING_SQL` is the same tuple
  as an SQL list for raw statements.
- A client's place on a waitlist: 1 + the waiting entries ahead of theirs, ordered by
  (joined_at, id). `waitlist_position_sql` is that rule as SQL; `WaitlistPosition` is the
  ORM expression that compiles to the very same SQL.
- Which bookings use up a weekly limit: `counts_against_week_sql`.
- When booking opens: `booking_opens_at`, the class's start minus the studio's window.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Expression, IntegerField

from reformer.bookings.models import Booking, WaitlistEntry

# ('confirmed', 'attended', 'no_show'): the statuses are fixed identifiers, safe to inline.
HOLDING_SQL = "(" + ", ".join(f"'{status}'" for status in Booking.HOLDING) + ")"

_WAITING = str(WaitlistEntry.Status.WAITING)


def waitlist_order_sql(entry: str) -> str:
    """ORDER BY terms listing a class's waiting entries (table alias `entry`) first to last:
    the order `waitlist_position_sql` counts in."""
    return f"{entry}.joined_at, {entry}.id"


def waitlist_position_sql(entry: str) -> str:
    """The waitlist position of the row `entry` (a table alias of bookings_waitlistentry)."""
    return (
        "(1 + (SELECT count(*) FROM bookings_waitlistentry ahead"
        f" WHERE ahead.session_id = {entry}.session_id AND ahead.status = '{_WAITING}'"
        f" AND (ahead.joined_at, ahead.id) < ({entry}.joined_at, {entry}.id)))"
    )


class WaitlistPosition(Expression):
    """`waitlist_position_sql` for the entries of a WaitlistEntry queryset (also inside a
    subquery: it uses the alias the compiler gave the queryset's own table)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.base_table)
        return waitlist_position_sql(alias), []


def counts_against_week_sql(booking: str) -> str:
    """Whether the booking row `booking` (a table alias) uses up a weekly-limited package's
    week: a place held, or a late cancel that kept its credit."""
    return (
        f"({booking}.status IN {HOLDING_SQL}"
        f" OR ({booking}.status = 'late_cancelled' AND NOT {booking}.credit_returned))"
    )


def booking_opens_at(starts_at: dt.datetime, booking_window_days: int) -> dt.datetime:
    """When a class starting at `starts_at` opens for booking under the studio's window."""
    return starts_at - dt.timedelta(days=booking_window_days)
