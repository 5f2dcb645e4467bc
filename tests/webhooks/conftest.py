"""A local webhook receiver on 127.0.0.1 (a real HTTP server in a thread), and a way to
run the jobs the test has queued."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; the last one repeats.
    statuses: list[int] = field(default_factory=lambda: [200])


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses[min(len(state.requests) - 1, len(state.statuses) - 1)]
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"nope")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def run_queued_jobs(*names: str) -> int:
    """Run the queued jobs with these task names (in the test's transaction), oldest first,
    including those scheduled for later; returns how many ran. Jobs they queue run too."""
    from procrastinate.contrib.django import app

    ran = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, task_name, args FROM procrastinate_jobs "
                "WHERE status = 'todo' AND task_name = ANY(%s) ORDER BY id LIMIT 1",
                [list(names)],
            )
            row = cursor.fetchone()
            if row is None:
                return ran
            job_id, task_name, args = row
            cursor.execute(
                "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job_id]
            )
        app.tasks[task_name].func(**(json.loads(args) if isinstance(args, str) else args))
        ran += 1
