"""Live updates of the owner dashboard.

A booking event on `organization.<id>.metrics` sends pages subscribed to metrics a tiny
out-of-band "signal" element. The dashboard's script sees it arrive and fires
`owner:refresh` on <body>; the metric cards and the chart, which listen for that event,
re-fetch themselves with their own filters (one grouped query each). The fragment is the
same for every viewer and carries no data, so nothing can leak across studios; it is a local
renderer (no database, in the event loop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.html import format_html

from reformer.web import live_render

if TYPE_CHECKING:
    from reformer.web.live_render import Viewer

SIGNAL_ID = "owner-live-signal"
METRIC_EVENT_TYPES = ("booking", "payment", "session")


def metrics_signal(viewer: Viewer, event: dict[str, Any]) -> str:
    if not viewer.subscriptions.metrics:
        return ""
    return format_html(
        '<div id="{}" data-hx-swap-oob="true" hidden data-type="{}" data-op="{}"></div>',
        SIGNAL_ID,
        str(event.get("type", "")),
        str(event.get("op", "")),
    )


for _event_type in METRIC_EVENT_TYPES:
    live_render.register(
        _event_type,
        local=True,
        shared_by=lambda viewer, event: viewer.subscriptions.metrics,
    )(metrics_signal)
