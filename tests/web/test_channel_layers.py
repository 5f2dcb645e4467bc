"""The one-process channel layer (web/channel_layers.py): Channels' in-memory layer without
the costs that grew with the square of open sockets."""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer

from reformer.web import channel_layers
from reformer.web.channel_layers import LocalChannelLayer
from tests.web.test_live import run  # a fresh loop in its own thread (Playwright's runs here)


def _members(layer, count, group="studio.1.schedule"):
    async def join():
        names = [await layer.new_channel() for _ in range(count)]
        for name in names:
            await layer.group_add(group, name)
        return names

    return join()


def test_a_group_event_reaches_every_member_once_as_sent():
    async def scenario():
        layer = LocalChannelLayer()
        names = await _members(layer, 50)
        message = {"type": "live.event", "event": {"type": "session", "ids": [7]}}
        await layer.group_send("studio.1.schedule", message)
        message["event"]["ids"].append(8)  # the sender's dict is its own again
        received = [await layer.receive(name) for name in names]
        nothing_more = [layer.channels.get(name) for name in names]
        return received, nothing_more

    received, nothing_more = run(scenario)
    assert all(
        r == {"type": "live.event", "event": {"type": "session", "ids": [7]}} for r in received
    )
    assert nothing_more == [None] * 50  # one message each, all taken


def test_a_group_event_goes_only_to_its_group():
    async def scenario():
        layer = LocalChannelLayer()
        (inside,) = await _members(layer, 1, "studio.1.schedule")
        (outside,) = await _members(layer, 1, "studio.2.schedule")
        await layer.group_send("studio.1.schedule", {"type": "live.event", "event": {}})
        got = await asyncio.wait_for(layer.receive(inside), 5)
        return got, outside in layer.channels

    got, outside_has_mail = run(scenario)
    assert got["type"] == "live.event"
    assert outside_has_mail is False


def test_receiving_does_not_sweep_every_channel_each_time(monkeypatch):
    """Channels' layer walked every channel and group on each receive (a thousand sockets
    receiving one event: a million steps); here the sweep runs at most once a second."""
    sweeps = []
    original = InMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        InMemoryChannelLayer, "_clean_expired", lambda self: sweeps.append(1) or original(self)
    )

    async def scenario():
        layer = LocalChannelLayer()
        names = await _members(layer, 200)
        await layer.group_send("studio.1.schedule", {"type": "live.event", "event": {}})
        for name in names:
            await layer.receive(name)

    run(scenario)
    assert len(sweeps) == 1


def test_expired_messages_are_still_dropped(monkeypatch):
    monkeypatch.setattr(channel_layers, "CLEAN_EVERY_SECONDS", 0.0)

    async def scenario():
        layer = LocalChannelLayer(expiry=-1)  # every message is already out of date
        (name,) = await _members(layer, 1)
        await layer.group_send("studio.1.schedule", {"type": "live.event", "event": {}})
        layer._clean_expired()
        return name in layer.channels, name in layer.groups.get("studio.1.schedule", {})

    has_mail, still_member = run(scenario)
    assert has_mail is False
    assert still_member is False  # as Channels does: an expired message drops the channel
