"""A small Reformer installation of real processes on loopback, for the scale tests:

- node A: `reformer serve --workers 2 --no-worker` (two web processes on one port),
- node B: `reformer serve --no-worker` on another port,
- two job workers (`tests/scale/ticking.py`: the real worker plus two test-only tasks),

all against one PostgreSQL (the embedded server of one data folder; an external server works
the same) and one Redis (REDIS_URL, default redis://127.0.0.1:6379/0). Workers call a job
stalled after WORKER_STALLED_AFTER_SECONDS=3 (instead of 30) so that a killed worker's job is
picked up within seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.robustness.serve_process import free_port, wait_until
from tests.scale.ticking import TABLES

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
STALLED_AFTER_SECONDS = "3"
SERVE = "from reformer.cli import main; main()"
WORKER = "from tests.scale.ticking import main; main()"

SEED = """
import json
from django.conf import settings
from importlib import import_module
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from reformer import cli
cli._setup()
from tests import factories
from tests.conftest import build_tenant
from tests.web_client.helpers import package_for, session_at

def session_key(user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key

tenant = build_tenant("scale")
session = session_at(tenant, day=1, capacity=5)
package_for(tenant.client)
watcher = factories.MembershipFactory(organization=tenant.organization, role="client")
print(json.dumps({
    "session": session.pk,
    "booker": session_key(tenant.client.user),
    "watcher": session_key(watcher.user),
}))
"""


@dataclass
class Node:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    data_dir: Path
    env: dict[str, str]
    nodes: list[Node] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)
    seed: dict = field(default_factory=dict)

    def _spawn(self, code: str, *args: str, log: str) -> subprocess.Popen:
        output = (self.data_dir / f"{log}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_node(self, *args: str) -> Node:
        port = free_port()
        process = self._spawn(
            SERVE, "serve", "--port", str(port), "--no-worker", *args, log=f"node-{port}"
        )
        node = Node(port, process)
        self.nodes.append(node)
        return node

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn(WORKER, "worker", log=f"worker-{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def defer_slow_effect(self, key: str) -> None:
        subprocess.run(
            [sys.executable, "-c", WORKER, "defer", key], cwd=ROOT, env=self.env, check=True
        )

    def connect(self) -> psycopg.Connection:
        lines = (self.data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
        return psycopg.connect(
            host=lines[4], port=int(lines[3]), user="postgres", dbname="reformer", autocommit=True
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.data_dir.glob("*.log"))
        )

    def stop(self) -> None:
        processes = [*self.workers, *(node.process for node in self.nodes)]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _up(node: Node) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{node.url}/healthz", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # answering (503 until a worker beats): up
    except OSError:
        return False


def start_cluster(data_dir: Path) -> Cluster:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env |= {
        "REFORMER_DATA_DIR": str(data_dir),
        "REDIS_URL": REDIS_URL,
        # Its own keys and live channels: another run on the same Redis must not cross talk.
        "REDIS_PREFIX": f"reformer-test-{uuid.uuid4().hex[:8]}",
        "WORKER_STALLED_AFTER_SECONDS": STALLED_AFTER_SECONDS,
        "PYTHONUNBUFFERED": "1",
    }
    cluster = Cluster(data_dir, env)
    try:
        first = cluster.start_node("--workers", "2")  # migrates the fresh database
        wait_until(lambda: _up(first), timeout=180, what=f"node A up\n{cluster.logs()}")
        second = cluster.start_node()
        with cluster.connect() as conn:
            conn.execute(TABLES)
        cluster.start_worker()
        cluster.start_worker()
        seeded = subprocess.run(
            [sys.executable, "-c", SEED],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        cluster.seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        wait_until(lambda: _up(second), timeout=120, what=f"node B up\n{cluster.logs()}")
    except BaseException:
        cluster.stop()
        raise
    return cluster
