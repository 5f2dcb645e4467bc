"""ASGI entry point: Django for HTTP, Channels for WebSockets, lifespan for the job worker.

Static files are served by WhiteNoise's middleware, so there is no static handler here.
With REFORMER_IN_PROCESS_WORKER=1 (set by `reformer serve`) the lifespan runs a Procrastinate
worker on the server's event loop, so one process is a whole deployment.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")
# Sets up Django; must run before anything imports models (the routing and auth below).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from reformer.web import loop_lag  # noqa: E402
from reformer.web.loop_lag import LoopLag  # noqa: E402
from reformer.web.routing import websocket_urlpatterns  # noqa: E402
from reformer.web.warmup import warm_up  # noqa: E402
from reformer.worker import InProcessWorker  # noqa: E402

IN_PROCESS_WORKER_ENV = "REFORMER_IN_PROCESS_WORKER"

Scope = dict[str, Any]
Receive = Any
Send = Any


class LifespanWorker:
    """Answers the ASGI lifespan protocol (Channels' router does not) and runs the worker."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        worker: InProcessWorker | None = None
        lag: LoopLag | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Before the first connection is taken (uvicorn waits for this answer).
                await asyncio.to_thread(warm_up)
                lag = loop_lag.from_environment()
                if os.environ.get(IN_PROCESS_WORKER_ENV) == "1":
                    worker = InProcessWorker()
                    await worker.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # The server has stopped taking requests: finish or abort jobs, then exit.
                if worker is not None:
                    await worker.stop()
                if lag is not None:
                    lag.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


application = LifespanWorker(
    ProtocolTypeRouter(
        {
            "http": django_application,
            "websocket": AuthMiddlewareStack(
                # types-channels wants a URLPattern subtype that django-stubs' path() never returns.
                AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
            ),
        }
    )
)
