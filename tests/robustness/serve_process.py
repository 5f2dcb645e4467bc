"""A real `reformer serve` in a child process, on its own embedded PostgreSQL (a data
folder of its own under /tmp), on a free loopback port. For fault tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

SERVE = "from reformer.cli import main; main()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)  # polling interval of a condition wait


class ServeProcess:
    def __init__(self, data_dir: Path | None = None, **env: str) -> None:
        # Not under pytest's tmp_path: when the tests run as root, the embedded PostgreSQL
        # runs as its own user and needs to traverse every folder above its data, and pytest
        # resets /tmp/pytest-of-<user> to 0700 whenever another pytest session starts. The
        # server then cannot open its own files (PANIC at the next checkpoint).
        self.own_data_dir = data_dir is None
        if data_dir is None:
            data_dir = Path(tempfile.mkdtemp(prefix="reformer-serve-"))
            data_dir.chmod(0o755)
        self.data_dir = data_dir
        self.port = free_port()
        self.log_path = data_dir / "serve.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        }
        self.env.update(REFORMER_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **env)
        self.process: subprocess.Popen | None = None
        self.start_args: list[str] = []

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    def start(self) -> ServeProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--port", str(self.port), *self.start_args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: self.get("/healthz")[0] in (200, 503), timeout=180, what="serve up")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 10) -> tuple[int | None, dict, bytes]:
        if self.process is not None and self.process.poll() is not None:
            return None, {}, b""
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}{path}", timeout=timeout
            ) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None, {}, b""

    def health(self) -> tuple[int | None, dict]:
        status, _headers, body = self.get("/healthz")
        return status, (json.loads(body) if body else {})

    def connect(self) -> psycopg.Connection:
        lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        return psycopg.connect(
            host=lines[4], port=int(lines[3]), user="postgres", dbname="reformer", autocommit=True
        )

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None  # between a death and the restart

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def remove(self) -> None:
        """Delete a data folder this object made (after stop(); the server is gone)."""
        if self.own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
