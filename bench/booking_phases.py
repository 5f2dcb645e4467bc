"""Where a booking's time goes, for bench/booking.py: each phase of `book_session` timed
exclusively by wrapping the functions it calls, and the table it prints."""

from __future__ import annotations

import importlib
import threading
import time
from collections import Counter
from collections.abc import Callable

# Where a booking's time goes: each phase of book_session, timed exclusively (a phase
# inside another pauses it), by wrapping the functions book_session and reserve call.
PHASES = (
    ("connection from the pool", "django.db.backends.postgresql.base", "DatabaseWrapper.connect"),
    ("class + reads before the lock", "reformer.bookings.actions.booking", "load_before_lock"),
    ("readiness (waivers, intake)", "reformer.bookings.actions.booking", "check_ready_to_book"),
    ("staff override", "reformer.bookings.actions.booking", "requirement_override"),
    ("eligibility (client, rules)", "reformer.bookings.eligibility", "check_can_book"),
    ("draw id, predict spot", "reformer.bookings.actions.booking", "new_booking"),
    ("confirmation: context", "reformer.bookings.notify", "class_context"),
    (
        "confirmation: its statement",
        "reformer.bookings.actions.booking",
        "templated_email_statement",
    ),
    # psycopg's BEGIN (one round trip of its own), then in one round trip: the audit row,
    # the message with its job, the guarded update, the insert + state, the credit spend
    # (bookings/actions/_pipelined.py).
    ("BEGIN; audit..spend together", "reformer.bookings.actions.booking", "write_together"),
    ("credit: the rest (weekly count)", "reformer.bookings.actions.booking", "_spend"),
    ("COMMIT", "django.db.backends.base.base", "BaseDatabaseWrapper._commit"),
    (
        "after commit (live event)",
        "django.db.backends.base.base",
        "BaseDatabaseWrapper.run_and_clear_commit_hooks",
    ),
    ("connection back to the pool", "django.db.backends.postgresql.base", "DatabaseWrapper.close"),
)


class PhaseClock:
    """Exclusive time per phase, per thread, summed over every booking of a run."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, name: str, function):
        clock = self

        def timed(*args, **kwargs):
            local = clock._local
            stack = local.__dict__.setdefault("stack", [])
            now = time.perf_counter()
            if stack:  # pause the enclosing phase
                outer, since = stack[-1]
                clock._add(outer, now - since)
            stack.append([name, now])
            try:
                return function(*args, **kwargs)
            finally:
                done = time.perf_counter()
                _, since = stack.pop()
                clock._add(name, done - since)
                with clock._lock:
                    clock.calls[name] += 1
                if stack:
                    stack[-1][1] = done

        return timed

    def _add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.totals[name] += seconds

    def install(self) -> list:
        undo = []
        for name, module_name, attribute in PHASES:
            owner = importlib.import_module(module_name)
            *path, leaf = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            own = leaf in owner.__dict__  # else inherited: the wrapper shadows it
            original = getattr(owner, leaf)
            setattr(owner, leaf, self.wrap(name, original))
            undo.append((owner, leaf, original if own else None))
        return undo


def phase_breakdown(book: Callable[[], dict]) -> tuple[dict, PhaseClock, float]:
    """`book()` (one thread booking its requests) with every phase timed; also this
    process's CPU."""
    clock = PhaseClock()
    undo = clock.install()
    cpu = time.process_time()
    try:
        figures = book()
    finally:
        for owner, leaf, original in undo:
            if original is None:
                delattr(owner, leaf)
            else:
                setattr(owner, leaf, original)
    return figures, clock, time.process_time() - cpu


def print_phases(figures: dict, clock: PhaseClock, cpu: float, raw: dict | None) -> None:
    booked = figures["outcomes"].get("booked", 0) or 1
    total = figures["elapsed"] / booked * 1000
    print(
        f"\nWhere a spread booking's time goes (1 thread, {booked} bookings, "
        f"{total:.2f} ms each; this process's CPU {cpu / booked * 1000:.2f} ms each):"
    )
    print(f"  {'phase':<32}{'ms':>8}{'share':>8}{'calls':>7}")
    accounted = 0.0
    for name, _module, _attribute in PHASES:
        ms = clock.totals[name] / booked * 1000
        accounted += ms
        calls = clock.calls[name] / booked
        print(f"  {name:<32}{ms:>8.2f}{ms / total:>8.0%}{calls:>7.1f}")
    rest = total - accounted
    print(f"  {'Python in between':<32}{rest:>8.2f}{rest / total:>8.0%}")
    if raw:
        print(
            f"  raw SQL, same run, 1 thread: {1000 / raw['per_second']:.2f} ms a booking "
            "(3 statements + BEGIN/COMMIT on psycopg's pool)"
        )
