from __future__ import annotations

import pytest

from tests.scheduling.helpers import NOW


@pytest.fixture
def frozen(time_machine):
    """Stop the clock at helpers.NOW."""
    time_machine.move_to(NOW, tick=False)
    return NOW
