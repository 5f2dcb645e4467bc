"""A request gives its database connection back as soon as its response is ready.

Django gives it back at the request's very end (`request_finished`, when the response is
closed): under ASGI that is after the server's event loop has sent the response and handed
back to the request's thread. In the 7 a.m. rush the loop is busy fanning bookings out to
a thousand sockets, so each booking held its pooled connection for that wait too, and
other requests, waiting longer than the pool's timeout for one, were answered 503.

This middleware sits outside every middleware that reads or writes the database on the
way out (the session, messages) and inside those that only touch bytes (compression,
security headers): once the response is built, the connection goes back to the pool, as
`close_old_connections` gives it back at the end. A later use in the same request still
works: it takes a connection again. Left alone: connections without a pool (closing one
early frees nothing another request waits for, and a later use would open a new one),
connections inside an atomic block (a test's transaction) and streaming responses (their
content may be read from the database while it is sent).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse


def release_connections() -> None:
    """What `close_old_connections` does at a request's end, for this thread's pooled
    connections that are not inside an atomic block."""
    for connection in connections.all(initialized_only=True):
        if getattr(connection, "pool", None) is not None and not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class ReleaseConnectionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.streaming:
            release_connections()
        return response
