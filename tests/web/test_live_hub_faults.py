"""The live hub and its sockets when things go wrong: a slow client, a channel layer (Redis)
that fails or stalls, a page that leaves while its socket is still joining."""

from __future__ import annotations

import asyncio
import socket as sockets
import threading
import time
import uuid
from urllib.parse import urlparse

import pytest
import redis
from asgiref.testing import ApplicationCommunicator
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from django.db import connections
from django.test import Client

from reformer.bookings.models import Booking
from reformer.core import live
from reformer.web import consumers, live_hub
from tests.scale.cluster import REDIS_URL
from tests.web.test_live import APP, WebsocketCommunicator, connect, event, headers_for, run
from tests.web.test_live import echo as echo  # the fixture
from tests.web.test_live_fanout import _state_event
from tests.web_client.conftest import htmx
from tests.web_client.helpers import package_for, session_at

DB = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def until(condition, timeout: float = 5.0) -> None:
    """Wait for `condition()` (a bound on the wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


class SlowClientCommunicator(WebsocketCommunicator):
    """The test communicator in front of another app (one that makes sends wait)."""

    def __init__(self, path: str, headers: list, app) -> None:
        parsed = urlparse(path)
        scope = {
            "type": "websocket",
            "path": parsed.path,
            "query_string": parsed.query.encode(),
            "headers": headers,
            "subprotocols": [],
        }
        ApplicationCommunicator.__init__(self, app, scope)


def only_socket(group):
    (socket,) = live_hub.hub_for(get_channel_layer()).groups[group].sockets
    return socket


@DB
def test_a_frame_waiting_for_a_slow_client_is_not_overtaken(world, client, echo):
    """A class frame waits for the client to read; the viewer's own event that follows must
    not be written before it (the server may write a send that did not wait first)."""
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)
    studio = live.studio_schedule(world.a.studio.pk)
    user = live.user_channel(world.a.client.user.pk)

    async def scenario():
        read = asyncio.Event()
        waiting: list[dict] = []

        async def app(scope, receive, send):
            async def slow_client(message):
                if message["type"] == "websocket.send" and not waiting:
                    waiting.append(message)  # the first frame waits until the client reads
                    await read.wait()
                await send(message)

            await APP(scope, receive, slow_client)

        query = f"studio={world.a.studio.pk}&user=me"
        communicator = SlowClientCommunicator(f"/ws/live/?{query}", headers, app)
        assert await communicator.connect()
        layer = get_channel_layer()
        await layer.group_send(studio, _state_event(session, booked=1, version=9))
        await until(lambda: waiting)
        await layer.group_send(user, event())
        socket = only_socket(user)
        # Written (the defect) or queued behind the waiting frame.
        await until(lambda: communicator.output_queue.qsize() or getattr(socket, "_outbox", ()))
        read.set()
        frames = [await communicator.receive_from(), await communicator.receive_from()]
        await communicator.disconnect()
        return frames

    first, second = run(scenario)
    assert "9 spots left" in first
    assert "client:updated:1" in second


@DB
def test_frames_that_arrive_while_the_socket_joins_go_out_after_it_is_accepted(world, client):
    """A class changes while a later group is still being joined: nothing is sent before the
    socket is accepted (the server refuses it), and what came goes out after, newest only."""
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)
    studio = live.studio_schedule(world.a.studio.pk)
    user = live.user_channel(world.a.client.user.pk)

    async def scenario():
        layer = get_channel_layer()
        joining, joined = asyncio.Event(), asyncio.Event()
        group_add = layer.group_add

        async def slow_group_add(group, channel):
            if group == user:
                joining.set()
                await joined.wait()
            await group_add(group, channel)

        layer.group_add = slow_group_add
        communicator = WebsocketCommunicator(
            f"/ws/live/?studio={world.a.studio.pk}&user=me", headers
        )
        await communicator.send_input({"type": "websocket.connect"})
        await asyncio.wait_for(joining.wait(), 5)
        await layer.group_send(studio, _state_event(session, booked=1, version=9))
        await layer.group_send(studio, _state_event(session, booked=2, version=10))
        group = live_hub.hub_for(layer).groups[studio]
        key = ("session", session.pk)
        await until(lambda: group.versions.get(key) == 10 and not group.pending and not group.timer)
        joined.set()
        first = await communicator.receive_output(2)
        frame = await communicator.receive_from()
        nothing_more = await communicator.receive_nothing(timeout=0.1)
        await communicator.disconnect()
        return first, frame, nothing_more

    first, frame, nothing_more = run(scenario)
    assert first["type"] == "websocket.accept"
    assert "8 spots left" in frame and nothing_more


@DB
def test_a_first_subscription_that_fails_does_not_break_its_group(world, client, echo):
    headers = headers_for(client, world.a.client.user)
    studio = live.studio_schedule(world.a.studio.pk)
    user = live.user_channel(world.a.client.user.pk)
    query = f"studio={world.a.studio.pk}&user=me"

    async def scenario():
        layer = get_channel_layer()
        group_add = layer.group_add
        failing = [user]

        async def failing_once(group, channel):
            if group in failing:
                failing.remove(group)
                raise ConnectionError("Redis went away")
            await group_add(group, channel)

        layer.group_add = failing_once
        refused = WebsocketCommunicator(f"/ws/live/?{query}", headers)
        await refused.send_input({"type": "websocket.connect"})
        outputs = [await refused.receive_output(2), await refused.receive_output(2)]
        await refused.disconnect()
        studio_members = len(layer.groups.get(studio, {}))  # joined before the failure
        socket = await connect(query, headers)
        await layer.group_send(user, event())
        frame = await socket.receive_from()
        await socket.disconnect()
        return outputs, studio_members, frame

    outputs, studio_members, frame = run(scenario)
    assert [output["type"] for output in outputs] == ["websocket.accept", "websocket.close"]
    assert outputs[1]["code"] == consumers.CLOSE_TRY_AGAIN_LATER  # live.js reconnects
    assert studio_members == 0
    assert "client:updated:1" in frame  # the group works for the next socket


@DB
def test_a_group_that_cannot_be_left_does_not_keep_the_socket_in_the_others(world, client):
    headers = headers_for(client, world.a.client.user)
    studio = live.studio_schedule(world.a.studio.pk)
    user = live.user_channel(world.a.client.user.pk)

    async def scenario():
        layer = get_channel_layer()
        group_discard = layer.group_discard

        async def failing_for_the_studio(group, channel):
            if group == studio:
                raise ConnectionError("Redis went away")
            await group_discard(group, channel)

        layer.group_discard = failing_for_the_studio
        socket = await connect(f"studio={world.a.studio.pk}&user=me", headers)
        await socket.disconnect()
        return len(layer.groups.get(user, {})), live_hub.hub_for(layer).groups

    assert run(scenario) == (0, {})


@DB
def test_a_page_that_leaves_while_a_recheck_joins_a_group_leaves_it_too(world, client, monkeypatch):
    """The periodic re-check finds a new group to join; the page goes while that join is
    under way: the socket leaves it as well."""
    session = session_at(world.a, day=1)
    headers = headers_for(client, world.a.client.user)
    studio = live.studio_schedule(world.a.studio.pk)
    new_group = "test.new"
    monkeypatch.setattr(consumers, "REVALIDATE_SECONDS", -1.0)  # re-check at every event
    authorize = consumers.authorize
    checks = []

    def authorize_more_the_second_time(*args):
        subscriptions, groups = authorize(*args)
        checks.append(1)
        return subscriptions, groups + ([new_group] if len(checks) > 1 else [])

    monkeypatch.setattr(consumers, "authorize", authorize_more_the_second_time)

    async def scenario():
        layer = get_channel_layer()
        joining, joined, added = asyncio.Event(), asyncio.Event(), asyncio.Event()
        group_add = layer.group_add

        async def slow_group_add(group, channel):
            if group == new_group:
                joining.set()
                await joined.wait()
            await group_add(group, channel)
            if group == new_group:
                added.set()

        layer.group_add = slow_group_add
        communicator = await connect(f"studio={world.a.studio.pk}", headers)
        await layer.group_send(studio, _state_event(session, booked=1, version=9))
        await asyncio.wait_for(joining.wait(), 5)
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await until(lambda: not layer.groups.get(studio))
        joined.set()
        await asyncio.wait_for(added.wait(), 5)
        await until(lambda: not layer.groups.get(new_group))
        await communicator.wait(2)
        return live_hub.hub_for(layer).groups

    assert run(scenario) == {}


@DB
def test_a_group_whose_receiving_fails_subscribes_again(world, client, echo, monkeypatch):
    monkeypatch.setattr(live_hub, "RESUBSCRIBE_SECONDS", 0.0, raising=False)
    headers = headers_for(client, world.a.client.user)
    user = live.user_channel(world.a.client.user.pk)

    async def scenario():
        layer = get_channel_layer()
        receive = layer.receive
        failed: list[str] = []

        async def failing_once(channel):
            if channel.startswith(live_hub.CHANNEL_PREFIX) and not failed:
                failed.append(channel)
                await asyncio.sleep(0)
                raise ConnectionError("Redis went away")
            return await receive(channel)

        layer.receive = failing_once
        socket = await connect("user=me", headers)
        await until(lambda: failed and set(layer.groups.get(user, {})) - set(failed))
        await layer.group_send(user, event())
        frame = await socket.receive_from()
        await socket.disconnect()
        return frame, set(layer.groups.get(user, {}))

    frame, members = run(scenario)
    assert "client:updated:1" in frame
    assert members == set()


def test_the_hub_remembers_versions_of_the_classes_changed_last_only(monkeypatch):
    monkeypatch.setattr(live_hub, "MAX_VERSIONS", 3, raising=False)

    async def scenario():
        hub = live_hub.LiveHub(layer=None)
        group = hub.groups["studio.1.schedule"] = live_hub._Group("studio.1.schedule")
        for pk in range(10):
            hub._coalesce(group, {"type": "session", "states": [{"id": pk, "version": 1}]})
        if group.timer is not None:
            group.timer.cancel()
        return list(group.versions)

    assert run(scenario) == [("session", 7), ("session", 8), ("session", 9)]


# --- a Redis that stops answering -------------------------------------------------------------


class StallingRedis:
    """A loopback address in front of Redis: connections pass through until `stalled`, then
    it accepts them and never answers (a Redis that hangs, as the thread's client meets it)."""

    def __init__(self) -> None:
        self.listening = sockets.create_server(("127.0.0.1", 0))
        self.address = f"redis://127.0.0.1:{self.listening.getsockname()[1]}/0"
        self.stalled = False
        self.held: list[asyncio.StreamWriter] = []
        self.relaying: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, sock=self.listening)

    async def close(self) -> None:
        """After its clients closed their connections: every relay ends with them."""
        self.server.close()
        for writer in self.held:
            writer.close()
        await until(lambda: all(task.done() for task in self.relaying))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.stalled:
            self.held.append(writer)  # read nothing, answer nothing
            return
        self.relaying.add(asyncio.current_task())  # type: ignore[arg-type]
        target = urlparse(REDIS_URL)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            target.hostname, target.port or 6379
        )

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@DB
def test_a_booking_answers_when_redis_stalls_and_its_event_goes_out_by_the_loop(
    world, settings, monkeypatch
):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"this test needs Redis at REDIS_URL={REDIS_URL}: {error}")
    monkeypatch.setattr(live, "_paused_until", 0.0, raising=False)  # and restored after
    stalling = StallingRedis()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": stalling.address}], "prefix": f"t{uuid.uuid4().hex}"},
        }
    }
    session = session_at(world.a, day=1)
    package_for(world.a.client)
    booker = Client()
    booker.force_login(world.a.client.user)
    studio = live.studio_schedule(world.a.studio.pk)

    async def scenario():
        await stalling.start()
        live.bind_event_loop(asyncio.get_running_loop())  # the server's loop, as a consumer's
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(studio, channel)
        await layer.group_send(studio, {"type": "warm.up"})  # the layer's connections are open
        await layer.receive(channel)
        stalling.stalled = True

        def book():  # as a request's thread
            try:
                return booker.post(f"/classes/{session.pk}/book/", **htmx("book-dialog-body"))
            finally:
                connections.close_all()

        response = await asyncio.to_thread(book)
        received = await asyncio.wait_for(layer.receive(channel), 10)
        await layer.flush()
        await stalling.close()
        return response.status_code, received

    status, received = run(scenario)
    assert status == 200 and Booking.objects.filter(session=session).exists()
    assert received["type"] == "live.event" and received["event"]["type"] == "session"
    assert live._paused_until > time.monotonic()  # later events skip the stalled thread client


# --- a channel layer that never answers, in a process with no server loop -------------------


class HangingLayer(InMemoryChannelLayer):
    """A layer whose group_send never returns (a stalled Redis, as channels' client meets
    it); the rest is the in-memory layer's."""

    async def group_send(self, group: str, message: dict) -> None:
        await asyncio.Event().wait()


def test_a_job_process_does_not_wait_forever_for_a_layer_that_never_answers(
    settings, monkeypatch, caplog
):
    """`reformer worker` has no server loop: the job's own thread sends, and waits at most
    LOOPLESS_SEND_TIMEOUT_SECONDS, then the job goes on (its event is lost, and said so)."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": f"{__name__}.HangingLayer"},
    }
    monkeypatch.setattr(live, "_server_loop", None)
    monkeypatch.setattr(live, "LOOPLESS_SEND_TIMEOUT_SECONDS", 0.2)
    finished = threading.Event()

    def job() -> None:
        live.send_now(["studio-1"], {"type": "live.event", "event": {"type": "session"}})
        finished.set()

    worker = threading.Thread(target=job, daemon=True)
    worker.start()
    assert finished.wait(60), "the job's thread is still waiting for the layer"
    assert "not sent: the channel layer did not take it" in caplog.text
