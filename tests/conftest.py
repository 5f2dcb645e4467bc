"""Shared fixtures: two organizations with one user per role each, and an outsider."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import override_settings

from tests import factories

# Playwright keeps an event loop on the main thread; Django must allow sync ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher():
    """MD5 instead of PBKDF2 (~0.3 s a user) for the whole run: the tests create hundreds of
    users. The only place the tests set it; override_settings also clears Django's cached
    hashers, which a plain assignment would not."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits, throttles and circuit breakers count in Django's cache: start each test
    from zero, so one test's sign-ins or polls never slow down the next."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _view_context_keeps_shared_names():
    """Every page any test renders: the view's context must not reuse a name the context
    processors provide (`memberships`, `organization`, `user`, ...), or the header shows
    the view's value instead (reformer.web.context.VIEW_MAY_OVERRIDE lists the exceptions)."""
    from django.test.signals import template_rendered

    from reformer.web.context import VIEW_MAY_OVERRIDE

    def check(sender, template, context, **kwargs):
        index = getattr(context, "_processors_index", None)
        # Only as the page's own template starts: above the processors' dict is then only
        # what the view passed (an {% include ... with %} later pushes scoped names).
        if index is None or context.template is not template:
            return
        name = template.name or ""
        if not name.endswith(".html") or name.startswith("account/email/"):
            return  # an email or a flash message (allauth passes the new user): no header
        shared, view = context.dicts[index], {}
        for pushed in context.dicts[index + 1 :]:
            view.update(pushed)
        # The same value again is harmless (allauth's emails pass the request and user).
        clash = {
            key
            for key in (set(shared) & set(view)) - VIEW_MAY_OVERRIDE
            if view[key] is not shared[key] and view[key] != shared[key]
        }
        assert not clash, f"{name}: the view's context overrides {sorted(clash)}"

    template_rendered.connect(check, dispatch_uid="view-context-collisions")
    yield
    template_rendered.disconnect(dispatch_uid="view-context-collisions")


ROLES = ("owner", "manager", "front_desk", "instructor", "client")


@dataclass
class Tenant:
    """One organization with a studio, a room with spots, a class type, and a user per role."""

    organization: object
    studio: object
    other_studio: object
    room: object
    spots: list
    class_type: object
    members: dict = field(default_factory=dict)  # role -> Membership

    def __getattr__(self, role: str):
        members = self.__dict__.get("members", {})
        if role in members:
            return members[role]
        raise AttributeError(role)


def build_tenant(slug: str, *, time_zone: str = "America/New_York") -> Tenant:
    org = factories.OrganizationFactory(slug=slug, name=slug.title(), time_zone=time_zone)
    studio = factories.StudioFactory(organization=org, name=f"{slug} Main", time_zone=time_zone)
    other = factories.StudioFactory(organization=org, name=f"{slug} Annex", time_zone=time_zone)
    room = factories.RoomFactory(studio=studio, name="Reformer Room", capacity=10)
    spots = [factories.SpotFactory(room=room, label=f"Reformer {i + 1}") for i in range(10)]
    class_type = factories.ClassTypeFactory(organization=org, name="Reformer Flow")
    tenant = Tenant(org, studio, other, room, spots, class_type)
    for role in ROLES:
        user = factories.UserFactory(email=f"{role}@{slug}.example.com", name=f"{slug} {role}")
        scoped = [studio] if role in ("manager", "front_desk", "instructor") else []
        tenant.members[role] = factories.MembershipFactory(
            user=user, organization=org, role=role, studios=scoped
        )
    return tenant


@dataclass
class World:
    a: Tenant
    b: Tenant
    outsider: object  # a User with no membership anywhere


@pytest.fixture
def world(db) -> World:
    return World(
        a=build_tenant("alpha"),
        b=build_tenant("beta"),
        outsider=factories.UserFactory(email="outsider@example.com", name="Outsider"),
    )


def _truncate_job_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers "
            "RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def clean_job_tables(transactional_db):
    """Procrastinate's tables are not flushed between transactional tests: empty before (a
    test without this fixture may have left jobs, e.g. periodic ones a real worker deferred
    for a recent tick) and after."""
    _truncate_job_tables()
    yield
    _truncate_job_tables()


# One Playwright per test session: its sync API runs an event loop in this thread, so a
# second sync_playwright() in the same run would refuse to start. Browser tests and the
# multi-process tests (tests/scale) share this browser.
@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()
