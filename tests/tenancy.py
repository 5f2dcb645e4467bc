"""The tenancy matrix: one table of calls (actions and queries) and who may make them.

tests/test_tenancy_matrix.py runs every registered row against every actor:

- each role of tenant a ("alpha", whose objects the call uses): roles in `allowed` must
  succeed, the others raise PermissionDenied; so does a deactivated owner of a;
- each role of tenant b ("beta"): NotFound (`other_tenant=NOT_FOUND`, the default, for calls
  that name a's objects), or, for calls that name none (`other_tenant=OWN`: "create a
  studio", "list my sessions"), the same answer as that role in a, and a query's result
  holds no row of tenant a;
- for `actor=USER` rows (actions taking a User, e.g. create_organization), the users of
  both tenants and the outsider, who has no membership; `allowed` may name "outsider".

After every refusal, and after every query, every row of every project table is unchanged
(no AuditEvent either); every allowed action must have written an AuditEvent. The clock is
frozen at tests.scheduling.helpers.NOW (Wednesday 25 February 2026, 12:00 UTC).

Adding rows: put them in tests/<package>/tenancy_cases.py (every such module is loaded);
`call(actor, ctx)` performs the call as `actor` and returns its result. `ctx.a` is tenant a
(tests.conftest.Tenant), `ctx.world` the whole World, and `ctx.<name>` each object returned
by the row's `setup(world) -> dict`, made before the "before" snapshot::

    from tests import tenancy

    @tenancy.register(
        allowed={"owner", "manager", "front_desk"},
        setup=lambda world: {"session": make_session(world.a, starts_at=...)},
    )
    def cancel_session(actor, ctx):
        return bookings.actions.cancel_session(actor, ctx.session, reason="Instructor ill")

`register` takes `name` (default: the function's name; unique), `allowed` (roles of a),
`other_tenant` (NOT_FOUND or OWN), `kind` (ACTION or QUERY) and `actor` (MEMBERSHIP or USER).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import models

from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from tests import factories
from tests.conftest import ROLES, World
from tests.scheduling.helpers import snapshot

NOT_FOUND, OWN = "not_found", "own"
ACTION, QUERY = "action", "query"
MEMBERSHIP, USER = "membership", "user"
INACTIVE = "inactive_owner"
OUTSIDER = "outsider"
ALL_ROLES = frozenset(ROLES)
STAFF = frozenset({"owner", "manager", "front_desk", "instructor"})
MANAGERS = frozenset({"owner", "manager"})


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[Any, Context], object]
    allowed: frozenset[str]
    other_tenant: str = NOT_FOUND
    kind: str = ACTION
    actor: str = MEMBERSHIP
    setup: Callable[[World], dict[str, Any]] | None = None


@dataclass
class Context:
    world: World
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def a(self):
        return self.world.a

    def __getattr__(self, name: str) -> Any:
        made = self.__dict__.get("made", {})
        if name in made:
            return made[name]
        raise AttributeError(name)


_CASES: dict[str, Case] = {}


def register(
    *,
    allowed: Iterable[str],
    name: str | None = None,
    other_tenant: str = NOT_FOUND,
    kind: str = ACTION,
    actor: str = MEMBERSHIP,
    setup: Callable[[World], dict[str, Any]] | None = None,
) -> Callable[[Callable[[Any, Context], object]], Callable[[Any, Context], object]]:
    """Add a row to the matrix (decorator over `call(actor, ctx)`)."""
    assert other_tenant in (NOT_FOUND, OWN) and kind in (ACTION, QUERY)
    assert actor in (MEMBERSHIP, USER)
    unknown = set(allowed) - ALL_ROLES - {OUTSIDER}
    assert not unknown, f"unknown roles {unknown}"

    def decorator(call: Callable[[Any, Context], object]) -> Callable[[Any, Context], object]:
        case_name = name or call.__name__
        if case_name in _CASES and _CASES[case_name].call.__code__ is not call.__code__:
            raise ValueError(f"a tenancy case named {case_name!r} already exists")
        _CASES[case_name] = Case(
            case_name, call, frozenset(allowed), other_tenant, kind, actor, setup
        )
        return call

    return decorator


def cases() -> list[Case]:
    """Every registered row, after loading every tests/<package>/tenancy_cases.py."""
    for path in sorted(Path(__file__).parent.glob("*/tenancy_cases.py")):
        importlib.import_module(f"tests.{path.parent.name}.tenancy_cases")
    return sorted(_CASES.values(), key=lambda case: case.name)


def matrix() -> list[Any]:
    """pytest parameters (case, side, role) for every meaningful combination."""
    params = []
    for case in cases():
        actors = [("a", role) for role in ROLES] + [("b", role) for role in ROLES]
        actors.append(("a", INACTIVE) if case.actor == MEMBERSHIP else (OUTSIDER, OUTSIDER))
        for side, role in actors:
            params.append(pytest.param(case, side, role, id=f"{case.name}-{side}.{role}"))
    return params


def actor_for(world: World, case: Case, side: str, role: str) -> Any:
    if side == OUTSIDER:
        return world.outsider
    if role == INACTIVE:
        return factories.MembershipFactory(
            organization=world.a.organization, role="owner", active=False
        )
    membership = getattr(world, side).members[role]
    return membership.user if case.actor == USER else membership


def expected(case: Case, side: str, role: str) -> type[Exception] | None:
    """The exception the call must raise, or None when it must succeed."""
    if side == "b" and case.other_tenant == NOT_FOUND:
        return NotFound
    return None if role in case.allowed else PermissionDenied


def check(case: Case, world: World, side: str, role: str) -> None:
    ctx = Context(world, case.setup(world) if case.setup else {})
    actor = actor_for(world, case, side, role)
    before = snapshot()
    audits = AuditEvent.objects.count()
    error = expected(case, side, role)
    if error is not None:
        with pytest.raises(error):
            case.call(actor, ctx)
        assert AuditEvent.objects.count() == audits, "a refusal wrote an audit event"
        assert snapshot() == before, "a refusal changed the database"
        return
    result = case.call(actor, ctx)
    if case.kind == QUERY:
        assert snapshot() == before, "a query changed the database"
        if side == "b":
            leaked = [
                row for row in _rows(result) if _organization_of(row) == world.a.organization.pk
            ]
            assert not leaked, f"tenant a's rows reached tenant b: {leaked}"
    else:
        assert AuditEvent.objects.count() > audits, "an allowed action wrote no audit event"


def _rows(result: object) -> list[object]:
    if isinstance(result, models.Model):
        return [result]
    if isinstance(result, models.QuerySet | list | tuple | set):
        return list(result)
    return []


def _organization_of(row: object) -> int | None:
    return getattr(row, "organization_id", None)
