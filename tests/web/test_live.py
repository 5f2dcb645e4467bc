"""The live websocket: authentication, per-subscription authorization, rendering, toasts.

Each scenario runs in a fresh thread with its own event loop (asyncio.run), so it never
meets another test's loop (Playwright keeps one on the main thread).
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlparse

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.routing import URLRouter
from django.test import Client

from reformer.accounts import actions
from reformer.accounts.models import Membership
from reformer.core import live
from reformer.web import consumers, live_render
from reformer.web.consumers import CLOSE_NO_MEMBERSHIP, CLOSE_UNAUTHENTICATED, parse_subscriptions
from reformer.web.middleware import SESSION_KEY
from reformer.web.routing import websocket_urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

APP = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


class WebsocketCommunicator(ApplicationCommunicator):
    """channels.testing's communicator, minus its package (which needs daphne)."""

    def __init__(self, path: str, headers: list) -> None:
        parsed = urlparse(path)
        scope = {
            "type": "websocket",
            "path": parsed.path,
            "query_string": parsed.query.encode(),
            "headers": headers,
            "subprotocols": [],
        }
        super().__init__(APP, scope)

    async def connect(self) -> bool:
        await self.send_input({"type": "websocket.connect"})
        return (await self.receive_output(2))["type"] == "websocket.accept"

    async def receive_from(self, timeout: float = 2) -> str:
        output = await self.receive_output(timeout)
        assert output["type"] == "websocket.send", output
        return output["text"]

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


def run(scenario):
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def echo():
    """A renderer for "test.echo" events that shows who it rendered for."""

    def render(membership, event, subscriptions):
        ids = ",".join(str(pk) for pk in event["ids"])
        return f'<div id="echo" data-hx-swap-oob="true">{membership.role}:{event["op"]}:{ids}</div>'

    live_render.register("test.echo")(render)
    yield render
    live_render.unregister("test.echo", render)


def headers_for(client, user, membership=None):
    client.force_login(user)
    if membership is not None:
        session = client.session
        session[SESSION_KEY] = membership.pk
        session.save()
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def event(op="updated", ids=(1,), type="test.echo"):
    return {"type": "live.event", "event": {"type": type, "op": op, "ids": list(ids)}}


async def connect(query, headers):
    communicator = WebsocketCommunicator(f"/ws/live/?{query}", headers)
    assert await communicator.connect()
    return communicator


async def received_from(communicator, group, message=None):
    """Send to a group; the frame the page gets, or None when nothing arrives."""
    await get_channel_layer().group_send(group, message or event())
    if await communicator.receive_nothing(timeout=0.3):
        return None
    return await communicator.receive_from(timeout=2)


# --- connection -----------------------------------------------------------------------------


def test_it_closes_anonymous_connections(db):
    async def scenario():
        communicator = await connect("user=me", [])
        return await communicator.receive_output(timeout=2)

    assert run(scenario) == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


def test_it_closes_users_without_a_membership(world, client):
    headers = headers_for(client, world.outsider)

    async def scenario():
        communicator = await connect("user=me", headers)
        return await communicator.receive_output(timeout=2)

    assert run(scenario) == {"type": "websocket.close", "code": CLOSE_NO_MEMBERSHIP}


# --- authorization per subscription ----------------------------------------------------------


def test_it_joins_schedules_of_the_members_organization_only(world, client, echo):
    headers = headers_for(client, world.a.client.user)
    query = (
        f"studio={world.a.studio.pk}&studio={world.a.other_studio.pk}&studio={world.b.studio.pk}"
    )

    async def scenario():
        communicator = await connect(query, headers)
        own = await received_from(communicator, live.studio_schedule(world.a.other_studio.pk))
        foreign = await received_from(communicator, live.studio_schedule(world.b.studio.pk))
        await communicator.disconnect()
        return own, foreign

    own, foreign = run(scenario)
    assert own == '<div id="echo" data-hx-swap-oob="true">client:updated:1</div>'
    assert foreign is None


ROSTER_CASES = [
    ("client", "own_studio", False),
    ("front_desk", "own_studio", True),
    ("front_desk", "other_studio", False),  # outside their studio scope
    ("instructor", "taught", True),
    ("instructor", "own_studio", False),  # a class they do not teach
    ("owner", "other_studio", True),
    ("owner", "other_tenant", False),
]


def test_it_joins_a_roster_only_with_view_roster(world, echo):
    # One transactional test for all cases: each flush of the database costs a second.
    sessions = {
        "own_studio": factories.ClassSessionFactory(room=world.a.room),
        "other_studio": factories.ClassSessionFactory(
            room=factories.RoomFactory(studio=world.a.other_studio)
        ),
        "taught": factories.ClassSessionFactory(room=world.a.room, instructor=world.a.instructor),
        "other_tenant": factories.ClassSessionFactory(room=world.b.room),
    }
    headers = {
        role: headers_for(Client(), world.a.members[role].user)
        for role in {role for role, _, _ in ROSTER_CASES}
    }

    async def scenario():
        outcomes = []
        for role, key, _ in ROSTER_CASES:
            session = sessions[key]
            communicator = await connect(f"session={session.pk}", headers[role])
            frame = await received_from(communicator, live.session_roster(session.pk))
            await communicator.disconnect()
            outcomes.append((role, key, frame is not None))
        return outcomes

    assert run(scenario) == ROSTER_CASES


def test_it_sends_a_member_only_their_own_events(world, client, echo):
    headers = headers_for(client, world.a.client.user)
    other = world.a.owner.user

    async def scenario():
        mine = await connect("user=me", headers)
        spying = await connect(f"user={other.pk}", headers)
        own = await received_from(mine, live.user_channel(world.a.client.user.pk))
        theirs = await received_from(spying, live.user_channel(other.pk))
        await mine.disconnect()
        await spying.disconnect()
        return own, theirs

    own, theirs = run(scenario)
    assert own is not None
    assert theirs is None


def test_it_joins_metrics_only_with_view_metrics(world, echo):
    expected = {"owner": True, "manager": True, "front_desk": False, "client": False}
    headers = {role: headers_for(Client(), world.a.members[role].user) for role in expected}
    group = live.organization_metrics(world.a.organization.pk)

    async def scenario():
        outcomes = {}
        for role in expected:
            communicator = await connect("metrics=1", headers[role])
            outcomes[role] = await received_from(communicator, group) is not None
            await communicator.disconnect()
        return outcomes

    assert run(scenario) == expected


def test_it_authorizes_against_the_organization_chosen_in_the_session(world, client, echo):
    in_b = actions.join_organization(world.a.client.user, world.b.organization)
    query = f"studio={world.a.studio.pk}&studio={world.b.studio.pk}"
    headers = headers_for(client, world.a.client.user, in_b)

    async def scenario():
        communicator = await connect(query, headers)
        a = await received_from(communicator, live.studio_schedule(world.a.studio.pk))
        b = await received_from(communicator, live.studio_schedule(world.b.studio.pk))
        await communicator.disconnect()
        return a, b

    a, b = run(scenario)
    assert a is None
    assert b is not None


@pytest.mark.parametrize(
    ("role", "other_studio_joined"),
    [("owner", True), ("client", True), ("manager", False), ("front_desk", False)],
)
def test_it_joins_schedules_only_of_studios_in_the_members_scope(world, role, other_studio_joined):
    member = getattr(world.a, role)
    requested = parse_subscriptions(f"studio={world.a.studio.pk}&studio={world.a.other_studio.pk}")
    subscriptions, groups = consumers.authorize(member.user, member, requested)
    assert live.studio_schedule(world.a.studio.pk) in groups
    assert (live.studio_schedule(world.a.other_studio.pk) in groups) is other_studio_joined
    assert (f"studio={world.a.other_studio.pk}" in subscriptions.refused) is not other_studio_joined


def test_it_parses_and_refuses_malformed_subscriptions(world):
    requested = parse_subscriptions(b"studio=1&studio=x&session=2;drop&user=me&metrics=0&toasts=1")
    assert requested.studio_ids == {1}
    assert requested.session_ids == set()
    assert requested.invalid == ["studio=x", "session=2;drop"]
    assert requested.user == "me" and requested.toasts and not requested.metrics
    subscriptions, groups = consumers.authorize(world.a.client.user, world.a.client, requested)
    assert subscriptions.refused == ("studio=x", "session=2;drop", "studio=1")
    assert groups == [live.user_channel(world.a.client.user.pk)]


# --- rendering ---------------------------------------------------------------------------------


def test_it_shows_toasts_only_to_pages_that_asked(world, client):
    live_render.register_toast("test.toast", "promoted", "You got a place in class!", "success")
    headers = headers_for(client, world.a.client.user)
    group = live.user_channel(world.a.client.user.pk)
    message = event("promoted", type="test.toast")

    async def scenario():
        asking = await connect("user=me&toasts=1", headers)
        quiet = await connect("user=me", headers)
        toast = await received_from(asking, group, message)
        none = await quiet.receive_nothing(timeout=0.3)
        other_op = await received_from(asking, group, event("cancelled", type="test.toast"))
        await asking.disconnect()
        await quiet.disconnect()
        return toast, none, other_op

    toast, none, other_op = run(scenario)
    assert 'id="toasts" data-hx-swap-oob="beforeend"' in toast
    assert "You got a place in class!" in toast and "toast--success" in toast
    assert none is True
    assert other_op is None


def test_it_skips_a_failing_renderer_and_sends_the_others(world, client, echo):
    def broken(membership, event, subscriptions):
        raise RuntimeError("boom")

    live_render.register("test.echo")(broken)
    headers = headers_for(client, world.a.client.user)
    try:

        async def scenario():
            communicator = await connect("user=me", headers)
            frame = await received_from(communicator, live.user_channel(world.a.client.user.pk))
            await communicator.disconnect()
            return frame

        assert run(scenario) == '<div id="echo" data-hx-swap-oob="true">client:updated:1</div>'
    finally:
        live_render.unregister("test.echo", broken)


def test_it_concatenates_fragments_from_all_renderers_into_one_frame(world, client, echo):
    def second(membership, event, subscriptions):
        return '<span id="second" data-hx-swap-oob="true">2</span>'

    live_render.register("test.echo")(second)
    headers = headers_for(client, world.a.client.user)
    try:

        async def scenario():
            communicator = await connect("user=me", headers)
            frame = await received_from(communicator, live.user_channel(world.a.client.user.pk))
            extra = await communicator.receive_nothing(timeout=0.2)
            await communicator.disconnect()
            return frame, extra

        frame, extra = run(scenario)
        assert frame.startswith('<div id="echo"') and frame.endswith("</span>")
        assert extra is True
    finally:
        live_render.unregister("test.echo", second)


def test_it_drops_a_member_deactivated_while_connected(world, client, echo, monkeypatch):
    monkeypatch.setattr(consumers, "REVALIDATE_SECONDS", -1.0)  # re-check at every event
    member = world.a.front_desk
    headers = headers_for(client, member.user)
    studio_group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        communicator = await connect(f"studio={world.a.studio.pk}", headers)
        before = await received_from(communicator, studio_group)
        await database_sync_to_async(Membership.objects.filter(pk=member.pk).update)(active=False)
        await get_channel_layer().group_send(studio_group, event())
        closed = await communicator.receive_output(timeout=2)
        return before, closed

    before, closed = run(scenario)
    assert before is not None
    assert closed == {"type": "websocket.close", "code": CLOSE_NO_MEMBERSHIP}


def test_a_render_that_cannot_reach_the_database_closes_for_a_resync(world, client):
    """A skipped update would leave the page stale: the socket closes with 1013 instead,
    live.js reconnects and the page refetches (live:resync); nothing is logged as a crash."""
    from psycopg_pool import PoolTimeout

    def busy(membership, event, subscriptions):
        raise PoolTimeout("couldn't get a connection after 3.00 sec")

    live_render.register("test.busy")(busy)
    headers = headers_for(client, world.a.client.user)

    async def scenario():
        communicator = await connect("user=me", headers)
        await get_channel_layer().group_send(
            live.user_channel(world.a.client.user.pk), event(type="test.busy")
        )
        output = await communicator.receive_output(2)
        return output

    try:
        output = run(scenario)
    finally:
        live_render.unregister("test.busy", busy)
    assert output == {"type": "websocket.close", "code": consumers.CLOSE_TRY_AGAIN_LATER}
