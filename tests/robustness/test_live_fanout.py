"""The query count of live fan-out is pinned: N viewers of one class cost N small state
queries (one each) plus one card render per distinct situation, never N renders."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reformer.web import live_render
from reformer.web.client import card_cache
from reformer.web.live_render import Subscriptions
from tests import factories
from tests.web_client.helpers import session_at

VIEWERS = 25


def test_fanout_to_n_viewers_costs_one_query_each_plus_one_render(world):
    card_cache.clear()
    session = session_at(world.a, day=1)
    studios = frozenset({world.a.studio.pk})
    viewers = [
        factories.MembershipFactory(organization=world.a.organization, role="client")
        for _ in range(VIEWERS)
    ]
    event = {"type": "session", "op": "availability", "ids": [session.pk]}
    subscriptions = Subscriptions(studio_ids=studios)
    with CaptureQueriesContext(connection) as first:
        live_render.render_event(viewers[0], event, subscriptions)
    render_cost = len(first.captured_queries)
    with CaptureQueriesContext(connection) as rest:
        htmls = {live_render.render_event(v, event, subscriptions) for v in viewers[1:]}
    assert len(htmls) == 1  # the same card for everyone in the same situation
    assert len(rest.captured_queries) == VIEWERS - 1  # one state query per viewer, no render
    assert render_cost <= 3
