"""Many websocket clients in one benchmark process, cheap enough not to be what is measured.

A thousand `websockets.asyncio` clients cost the benchmark a task, a queue and several loop
turns per frame each: on this 2-core machine the clients' own process then delayed what they
saw by hundreds of milliseconds. Here every socket is a bare asyncio Protocol driving
websockets' sans-I/O ClientProtocol: a received chunk is parsed in `data_received` (no task,
no await), pings are answered there, and each text frame is handed to `on_text(index, text)`.

Like a browser, the clients offer permessage-deflate, so the server compresses what it sends
as it does for real pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

TextHandler = Callable[[int, str], None]


class _Socket(asyncio.Protocol):
    def __init__(self, index: int, url: str, origin: str, cookie: str, on_text: TextHandler):
        self.index = index
        self.on_text = on_text
        self.protocol = ClientProtocol(
            parse_uri(url),
            origin=Origin(origin),
            extensions=[ClientPerMessageDeflateFactory(client_max_window_bits=True)],
        )
        self.request = self.protocol.connect()
        self.request.headers["Cookie"] = cookie
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.protocol.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.state is State.OPEN:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(OSError(f"handshake refused: {event.status_code}"))
            elif event.opcode is Opcode.TEXT:
                self.on_text(self.index, event.data.decode())
        self._flush()  # pongs, and the closing handshake

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or OSError("connection lost during the handshake"))

    def _flush(self) -> None:
        assert self.transport is not None
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self.transport.write_eof()

    def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.protocol.state is State.OPEN:
            self.protocol.send_close()
            self._flush()
        self.transport.close()


class LeanClients:
    """`connect(url, origin, cookies)` opens one socket per cookie (in batches); every text
    frame any of them receives goes to `on_text(index of the cookie, text)`."""

    def __init__(self, on_text: TextHandler) -> None:
        self.on_text = on_text
        self.sockets: list[_Socket] = []

    async def connect(self, url: str, origin: str, cookies: list[str], batch: int = 50) -> None:
        loop = asyncio.get_running_loop()
        host, port = _host_port(url)
        for start in range(0, len(cookies), batch):
            opening = []
            for index in range(start, min(len(cookies), start + batch)):
                socket = _Socket(index, url, origin, cookies[index], self.on_text)
                await loop.create_connection(lambda s=socket: s, host, port)
                self.sockets.append(socket)
                opening.append(socket.opened)
            await asyncio.gather(*opening)

    def close(self) -> None:
        for socket in self.sockets:
            socket.close()


def _host_port(url: str) -> tuple[str, int]:
    parsed = parse_uri(url)
    return parsed.host, parsed.port
