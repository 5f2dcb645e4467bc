"""`reformer serve --workers N`: refuses to start without Redis, and sizes each process's
database pool so that all of them together stay within the connection budget. (The processes
serving together are exercised in test_cluster.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reformer import cli

SERVE = "from reformer.cli import main; main()"


def _serve(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | env
    return subprocess.run(
        [sys.executable, "-c", SERVE, "serve", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_without_redis_refuse_to_start_and_name_redis_url():
    result = _serve("--workers", "2")
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr and "--workers 2" in result.stderr


def test_several_workers_with_an_unreachable_redis_say_so():
    result = _serve("--workers", "3", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "REDIS_URL=redis://127.0.0.1:1/0 does not answer" in result.stderr


@pytest.mark.parametrize(("workers", "pool"), [(1, 8), (2, 8), (3, 5), (4, 4), (8, 2)])
def test_the_pools_of_all_processes_stay_within_the_budget(workers, pool, monkeypatch):
    monkeypatch.delenv("DATABASE_CONNECTION_BUDGET", raising=False)
    assert cli.pool_per_process(workers) == pool
    assert workers * pool <= cli.CONNECTION_BUDGET or pool == 2
