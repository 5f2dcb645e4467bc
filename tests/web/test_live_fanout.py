"""Live fan-out through real consumers: its cost does not grow with the number of viewers.

A "session" event carries its class's public state (read once, after commit, by the
publisher); every socket renders from that state and its own memory of its viewer, in the
event loop, sharing one rendered card between viewers in the same situation. Bursts on one
class are coalesced per group by the process's hub (web/live_hub.py), and a state overtaken
in transit never replaces a newer one.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.db.backends import utils as db_utils
from django.test import Client

from reformer.core import live
from reformer.web import live_hub
from reformer.web.client import card_cache
from tests import factories
from tests.web.test_live import WebsocketCommunicator, connect, headers_for, run
from tests.web_client.helpers import session_at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    channel_layers.backends.clear()
    card_cache.clear()
    yield
    channel_layers.backends.clear()


class QueryCounter:
    """Counts statements from every thread (consumers render in worker threads)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        self._lock = threading.Lock()
        original = db_utils.CursorWrapper._execute

        def counting(wrapper, *args, **kwargs):
            with self._lock:
                self.count += 1
            return original(wrapper, *args, **kwargs)

        monkeypatch.setattr(db_utils.CursorWrapper, "_execute", counting)


def _viewers(world, count):
    members = [
        factories.MembershipFactory(organization=world.a.organization, role="client")
        for _ in range(count)
    ]
    return [headers_for(Client(), member.user) for member in members]


def _run(scenario, timeout=180):
    """As test_live.run (a fresh thread and event loop), with time for 200 connections."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout)
    if "error" in outcome:
        raise outcome["error"]
    assert "value" in outcome, f"the scenario took over {timeout} s"
    return outcome["value"]


async def _connect(query, headers):
    """As test_live.connect, with time for a loaded machine (200 connects in a row)."""
    socket = WebsocketCommunicator(f"/ws/live/?{query}", headers)
    await socket.send_input({"type": "websocket.connect"})
    assert (await socket.receive_output(30))["type"] == "websocket.accept"
    return socket


def _fan_out(world, session, headers, counter):
    """Connect one browse page per viewer, publish one booking's "session" event, and return
    (statements from the publish on, the distinct frames the pages received)."""
    query = f"studio={world.a.studio.pk}&user=me"
    group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        sockets = []
        for start in range(0, len(headers), 10):  # connects read the database one at a time
            sockets += await asyncio.gather(*(_connect(query, h) for h in headers[start:][:10]))
        before = counter.count
        event = await database_sync_to_async(live.build_event)(
            "session", "availability", [session.pk]
        )
        await get_channel_layer().group_send(group, {"type": "live.event", "event": event})
        frames = await asyncio.gather(*(s.receive_from(timeout=30) for s in sockets))
        spent = counter.count - before
        await asyncio.gather(*(s.disconnect() for s in sockets))
        return spent, set(frames)

    return _run(scenario)


def test_one_class_event_costs_the_same_queries_for_200_viewers_as_for_10(world, monkeypatch):
    session = session_at(world.a, day=1)
    counter = QueryCounter(monkeypatch)
    few_spent, few_frames = _fan_out(world, session, _viewers(world, 10), counter)
    many_spent, many_frames = _fan_out(world, session, _viewers(world, 200), counter)
    assert few_spent == many_spent == 1  # the state, read once by the publisher
    assert len(few_frames) == len(many_frames) == 1  # one card shared by everyone
    (card,) = many_frames
    assert f'id="session-{session.pk}"' in card and "10 spots left" in card


def _state_event(session, *, booked, version):
    event = live.build_event("session", "availability", [session.pk])
    event["states"][0].update(booked_count=booked, version=version)
    return {"type": "live.event", "event": event}


def test_a_burst_on_one_class_coalesces_and_ends_on_the_newest_state(world, client):
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)
    group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        socket = await connect(f"studio={world.a.studio.pk}", headers)
        layer = get_channel_layer()
        for booked in range(1, 8):  # seven bookings in quick succession
            await layer.group_send(group, _state_event(session, booked=booked, version=booked))
        frames = [await socket.receive_from(timeout=2)]
        while not await socket.receive_nothing(timeout=live_hub.COALESCE_SECONDS * 2):
            frames.append(await socket.receive_from(timeout=2))
        await socket.disconnect()
        return frames

    frames = run(scenario)
    assert "9 spots left" in frames[0]  # the first change goes out at once
    assert "3 spots left" in frames[-1]  # the last frame carries the newest state
    assert len(frames) <= 3


def test_a_state_overtaken_in_transit_never_replaces_a_newer_one(world, client, monkeypatch):
    monkeypatch.setattr(live_hub, "COALESCE_SECONDS", 0.0)
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)
    group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        socket = await connect(f"studio={world.a.studio.pk}", headers)
        layer = get_channel_layer()
        await layer.group_send(group, _state_event(session, booked=5, version=5))
        newer = await socket.receive_from(timeout=2)
        await layer.group_send(group, _state_event(session, booked=4, version=4))
        late = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return newer, late

    newer, late = run(scenario)
    assert "5 spots left" in newer
    assert late is True  # the older state was dropped


def test_a_booking_reaches_the_page_with_the_state_of_its_commit(world, client):
    """End to end through the action: the booker's own page shows "You're booked" (their
    place comes from the state's holders, their reference from the socket's memory)."""
    from tests.web_client.helpers import book, package_for

    package_for(world.a.client)
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)

    async def scenario():
        mine = await connect(f"studio={world.a.studio.pk}&user=me", headers)
        await database_sync_to_async(book)(world.a.client, session)
        frames = []
        while not await mine.receive_nothing(timeout=0.5):
            frames.append(await mine.receive_from(timeout=2))
        await mine.disconnect()
        return frames

    frames = run(scenario)
    cards = [f for f in frames if f'id="session-{session.pk}"' in f]
    assert cards and "You're booked" in cards[-1] and "9 spots left" in cards[-1]


def test_live_sockets_do_not_queue_for_the_shared_database_thread(world, monkeypatch):
    """Channels closes stale connections in the one thread-sensitive thread before every
    message it dispatches: a thousand sockets meant a thousand hops of that thread per
    event, which page requests also wait for. The live consumer skips it (it reaches the
    database only through database_sync_to_async, which cleans up in its own thread)."""
    import channels.consumer

    hops = []
    original = channels.consumer.aclose_old_connections

    async def counting():
        hops.append(1)
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    session = session_at(world.a, day=1)
    counter = QueryCounter(monkeypatch)
    headers = _viewers(world, 20)
    _, frames = _fan_out(world, session, headers, counter)
    assert len(frames) == 1
    assert hops == []  # not for the event, nor for connecting and disconnecting


def test_changes_to_several_classes_within_the_window_go_out_as_one_frame(world, client):
    """A rush books many classes at once: each page gets one frame per window carrying every
    changed card, not a frame per class."""
    first, second, third = (session_at(world.a, day=1, hour=hour) for hour in (7, 9, 11))
    headers = headers_for(client, world.a.client.user)
    group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        socket = await connect(f"studio={world.a.studio.pk}", headers)
        layer = get_channel_layer()
        for session in (first, second, third):
            await layer.group_send(group, _state_event(session, booked=2, version=50))
        frames = [await socket.receive_from(timeout=2)]
        while not await socket.receive_nothing(timeout=live_hub.COALESCE_SECONDS * 2):
            frames.append(await socket.receive_from(timeout=2))
        await socket.disconnect()
        return frames

    frames = run(scenario)
    assert len(frames) == 2
    assert f'id="session-{first.pk}"' in frames[0]  # the first change goes out at once
    assert f'id="session-{second.pk}"' in frames[1] and f'id="session-{third.pk}"' in frames[1]
