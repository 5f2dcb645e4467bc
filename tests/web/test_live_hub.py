"""The process's live hub (web/live_hub.py): one channel-layer membership per group however
many sockets of the process are in it, and events published from a request's thread straight
to Redis (core/live.py) reach a process subscribed through channels-redis's pub/sub layer."""

from __future__ import annotations

import asyncio
import sys
import uuid

import pytest
import redis
from channels.layers import channel_layers, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer

from reformer.core import live
from reformer.web import live_hub
from tests.scale.cluster import REDIS_URL
from tests.web.test_live import connect, headers_for, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_sockets_of_one_process_share_one_membership_of_their_group(world, client):
    headers = headers_for(client, world.a.client.user)
    group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        sockets = [await connect(f"studio={world.a.studio.pk}", headers) for _ in range(3)]
        members_while_open = len(get_channel_layer().groups.get(group, {}))
        for socket in sockets:
            await socket.disconnect()
        members_after = len(get_channel_layer().groups.get(group, {}))
        return members_while_open, members_after

    assert run(scenario) == (1, 0)


def test_a_send_that_must_wait_finishes_in_a_task_and_one_that_need_not_does_not():
    async def scenario():
        done = []

        async def immediate():
            done.append("immediate")

        gate = asyncio.Event()

        async def waiting():
            await gate.wait()
            done.append("waited")

        assert live_hub.start_eagerly(immediate()) is None
        assert done == ["immediate"]  # ran to its end before start_eagerly returned
        task = live_hub.start_eagerly(waiting())
        assert task is not None and done == ["immediate"]
        gate.set()
        await task
        return done

    assert run(scenario) == ["immediate", "waited"]


def test_a_thread_publishes_to_the_redis_pubsub_layer_as_its_group_send_would():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"this test needs Redis at REDIS_URL={REDIS_URL}: {error}")
    layer = RedisPubSubChannelLayer(hosts=[{"address": REDIS_URL}], prefix=f"t{uuid.uuid4().hex}")
    message = {"type": "live.event", "event": {"type": "session", "ids": [7], "states": []}}

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("studio.1.schedule", channel)
        # From another thread, as a request's on_commit does.
        sent = await asyncio.to_thread(
            live.publish_from_thread, layer, "studio.1.schedule", message
        )
        received = await asyncio.wait_for(layer.receive(channel), timeout=5)
        await layer.flush()
        return sent, received

    assert run(scenario) == (True, message)


def test_other_layers_are_not_published_from_the_thread():
    from reformer.web.channel_layers import LocalChannelLayer

    assert live.publish_from_thread(LocalChannelLayer(), "studio.1.schedule", {}) is False


def test_other_layers_are_told_apart_without_importing_the_redis_layer(monkeypatch):
    """Its import (redis's client) took the first event of a process 0.3-0.7 s."""
    from reformer.web.channel_layers import LocalChannelLayer

    monkeypatch.setitem(sys.modules, "channels_redis.pubsub", None)  # importing it fails
    assert live.publish_from_thread(LocalChannelLayer(), "studio.1.schedule", {}) is False


def test_the_hub_joins_its_groups_again_before_the_in_memory_layer_expires_them(
    world, client, monkeypatch
):
    """Channels' in-memory layer ends a membership a day after it was added; a group that
    always has a socket in the process would go silent."""
    monkeypatch.setattr(live_hub, "REJOIN_SECONDS", 0.05)
    headers = headers_for(client, world.a.client.user)
    group = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        socket = await connect(f"studio={world.a.studio.pk}", headers)
        members = get_channel_layer().groups[group]
        (channel,) = members
        members[channel] = 0  # joined long ago, as far as the layer can tell
        for _ in range(100):
            if members.get(channel):
                break
            await asyncio.sleep(0.05)
        joined_at = members.get(channel)
        await socket.disconnect()
        return joined_at

    assert run(scenario)  # joined again: a fresh join time


def test_the_hubs_channel_has_room_for_a_burst():
    from reformer.web.channel_layers import HUB_CHANNEL_CAPACITY, LocalChannelLayer

    layer = LocalChannelLayer()
    assert layer.get_capacity(f"{live_hub.CHANNEL_PREFIX}.inmemory!abc") == HUB_CHANNEL_CAPACITY
    assert layer.get_capacity("specific..inmemory!abc") == 100  # Channels' default


def test_a_recheck_that_changes_nothing_keeps_the_viewers_memory(world, client, monkeypatch):
    """The periodic re-check reads the membership and subscriptions again, beside the shared
    updates; when nothing the page sees changed, the memory is not read again."""
    from reformer.web import consumers, live_render
    from tests.web.test_live_fanout import _state_event
    from tests.web_client.helpers import session_at

    monkeypatch.setattr(consumers, "REVALIDATE_SECONDS", -1.0)  # re-check at every event
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)
    group = live.studio_schedule(world.a.studio.pk)
    calls = []
    load, renew = live_render.load_viewer, live_render.renew_viewer
    monkeypatch.setattr(live_render, "load_viewer", lambda *a: calls.append("load") or load(*a))
    monkeypatch.setattr(live_render, "renew_viewer", lambda *a: calls.append("renew") or renew(*a))

    async def scenario():
        socket = await connect(f"studio={world.a.studio.pk}&user=me", headers)
        await get_channel_layer().group_send(group, _state_event(session, booked=1, version=9))
        frame = await socket.receive_from(timeout=5)
        for _ in range(100):
            if "renew" in calls:
                break
            await asyncio.sleep(0.05)
        await socket.disconnect()
        return frame

    frame = run(scenario)
    assert "9 spots left" in frame  # sent with what the socket knew, beside the re-check
    assert calls == ["load", "renew"]  # read at connect; the re-check kept it
