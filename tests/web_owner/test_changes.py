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
