"""Every registered action and query, against every actor (see tests/tenancy.py)."""

from __future__ import annotations

import pytest

from tests import tenancy
from tests.scheduling.helpers import NOW


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.mark.parametrize(("case", "side", "role"), tenancy.matrix())
def test_it_enforces_tenancy(world, case, side, role):
    tenancy.check(case, world, side, role)


def test_it_has_rows_for_the_studio_and_scheduling_apps():
    names = {case.name for case in tenancy.cases()}

    assert {"create_organization", "set_spot_layout", "create_session", "get_session"} <= names
