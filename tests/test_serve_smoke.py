"""`reformer serve` end to end: embedded PostgreSQL, demo data, HTTP, and clean shutdown.

Each test runs the real console script with no DATABASE_URL, so the server starts the
embedded PostgreSQL itself. No Django test database is involved. The first start from an
empty folder (initdb, migrations, the demo, static files) is made once for the module and
checked there; each test runs in its own copy of that folder, as a studio restarts its
server (CI's time: a first start is most of a test's).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import psutil
import pytest

pytestmark: list[pytest.MarkDecorator] = []

REFORMER = Path(sys.executable).with_name("reformer")
START_TIMEOUT = 180  # migrating a fresh database, loading the demo, collecting static files


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """Live PostgreSQL processes of `pgdata` (the server and its children run in it)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        if process.info["name"] != "postgres" or process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        with suppress(psutil.Error):
            if str(pgdata) in (process.info["cmdline"] or []) or process.cwd() == str(pgdata):
                found.append(process)
    return found


def wait_until_gone(pgdata: Path, timeout: float = 10) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := postgres_processes(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def kill_servers_of(data_dir: Path) -> None:
    """Whatever happened, leave no server behind for the rest of the run."""
    for process in postgres_processes(data_dir / "postgres"):
        with suppress(psutil.Error):
            process.kill()


@pytest.fixture(scope="module")
def first_start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder where `reformer serve --demo` started from nothing, served, and
    stopped cleanly on SIGTERM."""
    folder = tmp_path_factory.mktemp("first-start")
    pgdata = folder / "postgres"
    try:
        server, base = serve(folder)
        with server:
            assert server.get(f"{base}/accounts/login/") == 200
            assert postgres_processes(pgdata), "the embedded PostgreSQL should be running"
            assert server.stop(signal.SIGTERM) == 0, server.output()
        assert wait_until_gone(pgdata) == [], server.output()
        assert "Demo logins:" in server.output()
        yield folder
    finally:
        kill_servers_of(folder)


@pytest.fixture
def data_dir(first_start: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the first start's folder (cp -a: the server's files keep their owner)."""
    folder = tmp_path / "data"
    subprocess.run(["cp", "-a", str(first_start), str(folder)], check=True)
    for log in folder.glob("reformer-*.log"):
        log.unlink()
    yield folder
    kill_servers_of(folder)


def reformer_env(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["REFORMER_DATA_DIR"] = str(data_dir)
    return env


class Reformer:
    """One `reformer` subprocess with its output kept in a file for failure messages."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.log = data_dir / f"reformer-{args[0]}-{time.monotonic_ns()}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [str(REFORMER), *args],
                env=reformer_env(data_dir),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text()

    def get(self, url: str) -> int:
        """Wait for the server to answer, then return the status of `url`."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"reformer exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # busy machine
                time.sleep(0.25)
        pytest.fail(f"no answer from {url} in {START_TIMEOUT} s:\n{self.output()}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"reformer ignored {sig.name}:\n{self.output()}")

    def __enter__(self) -> Reformer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(data_dir: Path) -> tuple[Reformer, str]:
    port = free_port()
    return Reformer(data_dir, "serve", "--demo", "--port", str(port)), f"http://127.0.0.1:{port}"


# Run by `reformer manage shell` beside the server: a job deferred from another process must
# be picked up by the worker inside `reformer serve`.
DEFER_AND_WAIT = """
import time
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
job_id = app.configure_task("procrastinate.builtin_tasks.remove_old_jobs").defer(max_hours=1)
deadline = time.monotonic() + 20
while ProcrastinateJob.objects.get(id=job_id).status != "succeeded":
    if time.monotonic() > deadline:
        break
    time.sleep(0.1)
print(ProcrastinateJob.objects.get(id=job_id).status)
"""


def run_a_job(data_dir: Path) -> str:
    shell = subprocess.run(
        [str(REFORMER), "manage", "shell", "-c", DEFER_AND_WAIT],
        env=reformer_env(data_dir), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    return shell.stdout.split()[-1]


def assert_static_files_are_hashed_compressed_and_cached(base: str) -> None:
    """`serve` collected the static files: pages name them by content hash, and they come
    gzipped with a year's immutable cache."""
    with urllib.request.urlopen(f"{base}/accounts/login/", timeout=10) as response:
        html = response.read().decode()
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html)
    assert stylesheet, "the stylesheet has no hashed name"
    request = urllib.request.Request(
        base + stylesheet.group(1), headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=315360000" in response.headers["Cache-Control"]
    # The web app manifest names each icon by its hashed name (a pattern was a 500 here).
    with urllib.request.urlopen(f"{base}/manifest.webmanifest", timeout=10) as response:
        icons = [icon["src"] for icon in json.loads(response.read())["icons"]]
    assert all(re.search(r"\.[0-9a-f]{12}\.png$", src) for src in icons), icons


def test_it_serves_the_demo_and_stops_postgres_on_sigterm(data_dir: Path) -> None:
    pgdata = data_dir / "postgres"
    server, base = serve(data_dir)
    with server:
        assert server.get(f"{base}/accounts/login/") == 200
        assert postgres_processes(pgdata), "the embedded PostgreSQL should be running"
        assert run_a_job(data_dir) == "succeeded"
        assert_static_files_are_hashed_compressed_and_cached(base)

        # Graceful: uvicorn stops, the lifespan stops the worker, the CLI stops PostgreSQL.
        assert server.stop(signal.SIGTERM) == 0, server.output()

    assert wait_until_gone(pgdata) == [], server.output()


def test_a_start_after_sigkill_adopts_the_orphan_server_and_stops_it(data_dir: Path) -> None:
    pgdata = data_dir / "postgres"
    first, base = serve(data_dir)
    with first:
        assert first.get(f"{base}/accounts/login/") == 200
        first.stop(signal.SIGKILL)
    # Nothing could stop it: the server outlives the killed process.
    orphans = postgres_processes(pgdata)
    assert orphans

    second, base = serve(data_dir)
    with second:
        assert second.get(f"{base}/accounts/login/") == 200
        assert {p.pid for p in orphans} & {p.pid for p in postgres_processes(pgdata)}
        assert "already has organizations" in second.output()
        assert second.stop(signal.SIGTERM) == 0, second.output()

    assert wait_until_gone(pgdata) == [], second.output()


def test_serve_and_a_separate_worker_share_the_server_until_the_last_leaves(
    data_dir: Path,
) -> None:
    pgdata = data_dir / "postgres"
    server, base = serve(data_dir)
    with server, Reformer(data_dir, "worker") as worker:
        assert server.get(f"{base}/accounts/login/") == 200
        assert server.stop(signal.SIGTERM) == 0, server.output()
        assert worker.process.poll() is None, worker.output()
        assert postgres_processes(pgdata), "the worker still uses the database"

        assert worker.stop(signal.SIGTERM) == 0, worker.output()

    assert wait_until_gone(pgdata) == [], worker.output()
