"""Live updates never starve page requests: a real `reformer serve --demo` with a small
pool (4) and 40 open sockets, while browsing, booking and cancelling clients and an owner
on the dashboard hammer it for a few seconds. Every answer must be below 500 (a saturated
pool would answer 503 + Retry-After, never a 10 s wait and a 500)."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import websockets

from reformer.demo import demo_logins
from tests.robustness.serve_process import ServeProcess

pytestmark = pytest.mark.timeout(600)

SOCKETS = 40
LOAD_SECONDS = 4.0
WORKERS = 8


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None if data is None else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body)
        if data is not None:
            request.add_header("X-CSRFToken", self.cookie("csrftoken"))
            request.add_header("Referer", self.base + "/")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, email: str, password: str) -> None:
        self.request("/accounts/login/")
        status, _ = self.request("/accounts/login/", {"login": email, "password": password})
        assert status == 200 and self.cookie("sessionid")


@pytest.fixture
def demo_server():
    server = ServeProcess(
        DATABASE_POOL_SIZE="4",
        DATABASE_POOL_TIMEOUT="3",
        LIVE_RENDER_CONNECTIONS="1",
    )
    server.start_args = ["--demo"]
    server.start()
    yield server
    server.stop()
    server.remove()


def test_mixed_load_with_open_sockets_never_answers_5xx(demo_server):
    base = f"http://127.0.0.1:{demo_server.port}"
    logins = {role: (email, password) for role, email, password in demo_logins()}
    client, owner = Browser(base), Browser(base)
    client.login(*logins["client"])
    owner.login(*logins["owner"])
    _status, html = client.request("/classes/?when=week")
    session_ids = sorted({int(i) for i in re.findall(r"/classes/(\d+)/book/", html)})[:6]
    studio_ids = sorted({int(i) for i in re.findall(r'<option value="(\d+)">', html)})
    assert session_ids and studio_ids

    statuses: list[int] = []
    frames = [0]
    stop = threading.Event()

    async def sockets() -> None:
        query = "&".join(f"studio={pk}" for pk in studio_ids) + "&page=client.browse"
        headers = {
            "Cookie": f"sessionid={client.cookie('sessionid')}",
            "Origin": base,
        }
        url = f"ws://127.0.0.1:{demo_server.port}/ws/live/?{query}"
        connections = [
            await websockets.connect(url, additional_headers=headers) for _ in range(SOCKETS)
        ]

        async def drain(ws) -> None:
            # A socket whose update could not reach the database is closed with 1013 (the
            # browser reconnects and resyncs); that ends this reader, it is not a failure.
            with contextlib.suppress(websockets.ConnectionClosed):
                async for _message in ws:
                    frames[0] += 1

        readers = [asyncio.create_task(drain(ws)) for ws in connections]
        while not stop.is_set():
            await asyncio.sleep(0.1)  # keep the sockets open until the load is over
        for ws in connections:
            await ws.close()
        for reader in readers:
            reader.cancel()

    socket_thread = threading.Thread(target=lambda: asyncio.run(sockets()))
    socket_thread.start()

    def work(index: int) -> None:
        browser = owner if index == 0 else client
        paths = (
            ["/owner/", "/owner/metrics/", "/owner/chart/"]
            if index == 0
            else ["/classes/?when=week", "/dashboard/"]
        )
        deadline = time.monotonic() + LOAD_SECONDS
        turn = 0
        while time.monotonic() < deadline:
            status, _ = browser.request(paths[turn % len(paths)])
            statuses.append(status)
            if index > 0 and turn % 2 == 0:
                session_id = session_ids[(index + turn) % len(session_ids)]
                status, body = browser.request(f"/classes/{session_id}/book/", {"spot": "auto"})
                statuses.append(status)
                reference = re.search(r"/bookings/([A-Z0-9]+)/", body)
                if reference:
                    status, _ = browser.request(
                        f"/bookings/{reference[1]}/cancel/", {"reason": "load test"}
                    )
                    statuses.append(status)
            turn += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    stop.set()
    socket_thread.join(60)

    assert statuses, "no requests were made"
    server_errors = [s for s in statuses if s >= 500 and s != 503]
    assert not server_errors, (server_errors, demo_server.log()[-3000:])
    log = demo_server.log()
    first = log.find("Traceback")
    assert first < 0, log[max(0, first - 1500) : first + 3000]
    print(f"{len(statuses)} responses, {statuses.count(503)} x 503, {frames[0]} live frames")
