"""Fault tests on a real `reformer serve` (child process, its own embedded PostgreSQL).

- The database restarts under load: the in-process job worker reconnects and resumes, and
  every queued job runs exactly once; /healthz tells the story; staff get an AdminAlert.
- The embedded postgres is killed: `serve` answers 503 + Retry-After meanwhile (never a
  hang or a 500), restarts it, and serves again.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from reformer import embedded_db
from tests.robustness.serve_process import ServeProcess, wait_until

pytestmark = pytest.mark.timeout(600)

SEND = "notifications.send_message"


def _defer(conn, count: int, first_id: int) -> list[int]:
    """Queue `count` send jobs (for messages that no longer exist: each run is a no-op that
    succeeds), the way procrastinate's defer does."""
    ids = []
    for message_id in range(first_id, first_id + count):
        row = conn.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', %s, 0, NULL, NULL, %s,"
            " NULL)::procrastinate_job_to_defer_v1])",
            [SEND, f'{{"message_id": {message_id}}}'],
        ).fetchone()
        ids.extend(row[0])
    return ids


def _statuses(conn, ids: list[int]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, count(*) FROM procrastinate_jobs WHERE id = ANY(%s) GROUP BY status",
        [ids],
    ).fetchall()
    return dict(rows)


def _starts(conn, ids: list[int]) -> set[int]:
    rows = conn.execute(
        "SELECT job_id, count(*) FROM procrastinate_events WHERE job_id = ANY(%s)"
        " AND type = 'started' GROUP BY job_id",
        [ids],
    ).fetchall()
    return {count for _job, count in rows}


def _pg_ctl(server: ServeProcess, *args: str) -> None:
    run_as = embedded_db._run_as()
    command = [str(embedded_db.POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata), *args]
    if run_as is not None:
        command = ["runuser", "-u", run_as.pw_name, "--", *command]
    # Output to a file, not a pipe: the restarted server would hold a pipe open. A slow
    # machine gets pg_ctl's longer wait (-t), and a restart whose start half gave up is
    # started again once: the test is about the worker, not pg_ctl's patience.
    base = [*command[: -len(args)], "-l", str(server.pgdata / "postgresql.log"), "-t", "120"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "timeout": 300}
    if subprocess.run([*base, *args], check=False, **quiet).returncode == 0:
        return
    if args[0] == "restart":
        subprocess.run([*base, "start", *args[args.index("-w") :]], check=True, **quiet)
    else:
        raise AssertionError(f"pg_ctl {' '.join(args)} failed")


@pytest.fixture
def serve():
    server = ServeProcess().start()
    yield server
    server.stop()
    server.remove()


def test_the_worker_resumes_after_a_database_restart_and_runs_every_job_once(serve):
    wait_until(lambda: serve.health()[0] == 200, timeout=60, what="healthy")
    with serve.connect() as conn:
        before = _defer(conn, 20, 1)
        wait_until(lambda: _statuses(conn, before) == {"succeeded": 20}, timeout=60, what="batch 1")

    socket_dir = (serve.pgdata / "postmaster.pid").read_text().splitlines()[4]
    _pg_ctl(serve, "restart", "-m", "fast", "-w", "-o", f"-c listen_addresses='' -k {socket_dir}")

    with serve.connect() as conn:
        during = _defer(conn, 20, 1000)
        wait_until(
            lambda: _statuses(conn, during) == {"succeeded": 20},
            timeout=120,
            what=f"jobs after the restart\n{serve.log()[-3000:]}",
        )
        assert _starts(conn, before + during) == {1}  # every job ran, none twice
        alerts = conn.execute(
            "SELECT count(*) FROM core_adminalert WHERE code = 'jobs.worker_restarted'"
        ).fetchone()[0]
    assert alerts == 1
    _status, body = wait_until(
        lambda: (h := serve.health())[0] == 200 and h, timeout=60, what="healthy again"
    )
    assert body["worker_heartbeat_age_s"] < 60
    assert body["jobs_due"] == 0
    assert "job worker stopped" in serve.log()


def test_a_killed_embedded_database_means_503_meanwhile_then_a_restart(serve):
    old_pid = serve.postmaster_pid()
    os.kill(old_pid, signal.SIGKILL)

    # While it is down: a quick 503 with Retry-After, never a hang or a 500.
    seen = []

    def answered_or_back() -> bool:
        status, headers, _ = serve.get("/accounts/login/", timeout=8)
        seen.append(status)
        if status == 503:
            assert headers.get("Retry-After") == "5"
        assert status in (200, 503), (status, serve.log()[-2000:])
        return status == 200 and serve.postmaster_pid() not in (None, old_pid)

    wait_until(answered_or_back, timeout=120, what="the database back")
    assert serve.process.poll() is None  # still serving, after restarting postgres itself
    assert "is gone: starting it again" in serve.log()
    wait_until(lambda: serve.health()[0] == 200, timeout=90, what="healthy again")
