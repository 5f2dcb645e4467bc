"""The dashboard cards' change against the previous period, as shown."""

from __future__ import annotations

import pytest

from reformer.web.owner.changes import change


@pytest.mark.parametrize(
    ("now", "before", "points", "text", "direction"),
    [
        (0.937, 0.9374, True, "no change", "flat"),  # -0.04 pts rounds to nothing
        (0.937, 0.905, True, "+3.2 pts", "up"),
        (0.905, 0.937, True, "-3.2 pts", "down"),
        (1002, 1000, False, "no change", "flat"),  # +0.2% shows as 0%
        (58, 100, False, "-42%", "down"),
        (5, 0, False, "new", "flat"),
    ],
)
def test_a_change_reads_as_it_is_shown(now, before, points, text, direction):
    shown = change(now, before, "vs November", points=points)
    assert (shown["change"], shown["change_direction"]) == (text, direction)


def test_a_comparison_to_date_names_the_days_it_is_against():
    import datetime as dt

    from reformer.analytics.periods import Period
    from reformer.web.owner.changes import comparison_label

    def label(start: dt.date, end: dt.date, before: tuple[dt.date, dt.date]) -> str:
        period = Period("this_month", start, end)
        return comparison_label(
            period, Period("custom", start, dt.date(2026, 1, 3)), Period("custom", *before)
        )

    month = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert label(*month, (dt.date(2025, 12, 1), dt.date(2025, 12, 3))) == (
        "vs Dec 1\u20133 (to date)"
    )
    assert label(*month, (dt.date(2025, 12, 1), dt.date(2025, 12, 1))) == "vs Dec 1 (to date)"
    assert label(*month, (dt.date(2025, 11, 28), dt.date(2025, 12, 3))) == (
        "vs Nov 28\u2013Dec 3 (to date)"
    )
    assert label(*month, (dt.date(2025, 12, 30), dt.date(2026, 1, 2))) == (
        "vs Dec 30, 2025\u2013Jan 2, 2026 (to date)"
    )
    whole = Period("this_month", *month)
    assert (
        comparison_label(
            whole, whole, Period("custom", dt.date(2025, 12, 1), dt.date(2025, 12, 31))
        )
        == "vs December"
    )
