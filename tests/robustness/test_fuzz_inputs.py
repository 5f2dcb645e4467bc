"""Every form and query parameter a signed-in user can reach, fed hostile values.

The pages are crawled (tests/robustness/crawl.py) as each role; every form and every link
with a query string becomes a target, and hypothesis fills its fields with a mix of the
page's own values and hostile ones. Whatever the input: no 5xx, and a refusal (4xx) leaves
every project table as it was. Each example runs in a savepoint rolled back afterwards, so
a successful change (deactivating a studio) does not steer later examples.

FUZZ_EXAMPLES (default 3 per target) raises the count for a longer local run.
"""

from __future__ import annotations

import os

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.robustness.crawl import Target, crawl
from tests.scheduling.helpers import snapshot
from tests.web_client.helpers import package_for, session_at

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "²",
    "¹²",
    "\uff11\uff12",  # full-width digits
    "2147483648",
    "9223372036854775808",
    "1" * 60,
    "1e309",
    "NaN",
    "-0.0",
    "12.5",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "25:61",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00",
    "a" * 5000,
    "\U0001f600",
    "../../etc/passwd",
    "#zzzzzz",
    "[]",
    "{}",
]

START = {
    "owner": ["/", "/owner/", "/staff/", "/staff/schedule/", "/staff/checkin/", "/me/"],
    "front_desk": ["/", "/staff/checkin/", "/staff/schedule/"],
    "instructor": ["/", "/staff/classes/"],
    "client": ["/classes/?when=month", "/", "/dashboard/", "/me/"],
}


# Parameters pages set from scripts or build in views, which no crawled link shows whole.
SCRIPT_PARAMETERS = {
    "client:spot_map": ["spot"],
    "client:browse": ["offset", "when", "studio", "instructor", "type", "time", "date"],
    "owner:metrics": ["studio", "range", "from", "to", "attempt"],
    "owner:chart": ["studio", "range", "from", "to", "interval", "attempt"],
    "owner:schedule": ["studio", "page", "range"],
    "owner:export_csv": ["studio", "range", "from", "to", "kind"],
    "staff:checkin": ["studio", "date", "q"],
}
OWNER_ONLY = ("owner:", "staff:")


def _script_targets(role: str, session_id: int) -> list[Target]:
    targets = []
    for name, params in SCRIPT_PARAMETERS.items():
        if name.startswith(OWNER_ONLY) != (role == "owner"):
            continue
        args = [session_id] if name == "client:spot_map" else []
        targets.append(Target("GET", reverse(name, args=args), tuple((p, "") for p in params)))
    return targets


def _values(default: str) -> st.SearchStrategy[str]:
    return st.one_of(st.just(default), st.sampled_from(HOSTILE), st.text(max_size=12))


class _Rollback(Exception):
    pass


def _attempt(client, target: Target, data: dict[str, str]) -> None:
    try:
        block = transaction.atomic()
        # Like TestCase's own blocks: durable actions (cancel) may run inside this savepoint.
        block._from_testcase = True
        with block:
            before = snapshot()
            if target.method == "GET":
                response = client.get(target.path, data)
            else:
                response = client.post(target.path, data)
            status = response.status_code
            assert status < 500, f"{target.method} {target.path} {data!r} -> {status}"
            if 400 <= status < 500:
                assert snapshot() == before, f"{target.method} {target.path} {data!r} wrote"
            raise _Rollback
    except _Rollback:
        pass


# Every target also gets each of these in all of its fields at once, whatever hypothesis draws.
SWEEP = ["²", "2147483648", "9223372036854775808", "-1", "\x00", "a" * 5000, "2026-02-30"]


def _fuzz(client, target: Target) -> None:
    defaults = dict(target.fields)
    strategy = st.fixed_dictionaries({name: _values(defaults[name]) for name in target.names})
    check = _check(client, target, strategy)
    for value in SWEEP:
        check = example(data=dict.fromkeys(target.names, value))(check)
    check()


def _check(client, target: Target, strategy):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def check(data: dict[str, str]) -> None:
        _attempt(client, target, data)

    return check


@pytest.fixture
def furnished(world):
    """Classes to book, a booking, a waitlist and a package, so the pages show their forms."""
    sessions = [
        session_at(world.a, day=day, hour=9, instructor=world.a.instructor) for day in (1, 2)
    ]
    full = session_at(world.a, day=3, hour=9, capacity=1)
    package_for(world.a.client)
    from reformer.bookings.actions import book_session

    book_session(world.a.client, sessions[0])
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(other)  # fills the small class so its waitlist form shows
    book_session(other, full)
    world.fuzz_session = sessions[1]
    return world


@pytest.mark.parametrize("role", list(START))
def test_no_input_makes_a_5xx_or_a_partial_write(furnished, client, role):
    client.force_login(furnished.a.members[role].user)
    targets = crawl(client, START[role])
    assert len(targets) > 5, "the crawl found little to try"
    targets += _script_targets(role, furnished.fuzz_session.pk)
    for target in targets:
        _fuzz(client, target)
