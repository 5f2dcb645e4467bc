"""WebSocket routes (Channels); reformer/asgi.py wraps them with auth and origin checks."""

from __future__ import annotations

from django.urls import path

from reformer.web.consumers import LiveConsumer

websocket_urlpatterns = [
    # Channels routes Django paths to ASGI apps; django-stubs types path() for views only.
    path("ws/live/", LiveConsumer.as_asgi(), name="live"),  # type: ignore[arg-type]
]
