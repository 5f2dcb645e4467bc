"""Several processes against one PostgreSQL and one Redis (tests/scale/cluster.py): live
updates cross nodes, periodic jobs run once per tick, a killed worker's job completes once."""

from __future__ import annotations

import os
import signal
import time
import urllib.request

import pytest
import redis

from tests.browser.client.conftest import LIVE_PROBE
from tests.robustness.serve_process import wait_until
from tests.scale.cluster import REDIS_URL, start_cluster
from tests.scale.ticking import TICK_SECONDS


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"these tests need Redis at REDIS_URL={REDIS_URL}: {error}")
    cluster = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


def _book_over_http(base: str, session_key: str, session_id: int) -> None:
    """The booking dialog (for the CSRF cookie), then the booking, as a browser sends them."""
    cookie = f"sessionid={session_key}"
    url = f"{base}/classes/{session_id}/book/"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})) as got:
        token = next(
            part.split("=", 1)[1]
            for header in got.headers.get_all("Set-Cookie")
            for part in header.split(";")
            if part.strip().startswith("csrftoken=")
        )
    request = urllib.request.Request(
        url,
        data=b"spot=auto",
        method="POST",
        headers={
            "Cookie": f"{cookie}; csrftoken={token}",
            "X-CSRFToken": token,
            "HX-Request": "true",
            "HX-Target": "book-dialog-body",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{base}/classes/",
        },
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.headers.get("HX-Redirect"), "the booking was refused"


def test_a_booking_on_node_a_reaches_a_browser_on_node_b(cluster, browser):
    from playwright.sync_api import expect

    node_a, node_b = cluster.nodes
    session_id = cluster.seed["session"]
    context = browser.new_context(base_url=node_b.url)
    try:
        context.add_init_script(LIVE_PROBE)
        context.add_cookies(
            [{"name": "sessionid", "value": cluster.seed["watcher"], "url": node_b.url}]
        )
        page = context.new_page()
        page.goto("/classes/?when=week")
        card = page.locator(f"#session-{session_id}")
        expect(card).to_contain_text("5 spots left")
        page.wait_for_function("() => window.__live && window.__live.opens >= 1")

        booked_at = time.monotonic()
        _book_over_http(node_a.url, cluster.seed["booker"], session_id)
        # The goal is within 1 s; a loaded CI machine gets a generous wait.
        expect(card).to_contain_text("4 spots left", timeout=10_000)
        print(f"node A booking -> node B browser: {time.monotonic() - booked_at:.2f} s")
    finally:
        context.close()


def test_a_periodic_job_runs_once_per_tick_with_two_workers(cluster):
    assert sum(worker.poll() is None for worker in cluster.workers) >= 2

    def ticks() -> list[tuple[int, int]]:
        with cluster.connect() as conn:
            return conn.execute("SELECT tick, count(*) FROM scale_ticks GROUP BY tick").fetchall()

    wait_until(lambda: len(ticks()) >= 4, timeout=30 + 4 * TICK_SECONDS, what="four ticks")
    assert all(count == 1 for _, count in ticks()), ticks()


def test_a_worker_killed_mid_job_still_completes_the_job_exactly_once(cluster):
    key = f"kill-{time.monotonic_ns()}"
    cluster.defer_slow_effect(key)

    def attempts() -> list[int]:
        with cluster.connect() as conn:
            rows = conn.execute("SELECT pid FROM scale_attempts WHERE key = %s", [key])
            return [pid for (pid,) in rows]

    (first_pid,) = wait_until(attempts, timeout=30, what="the job to start")
    os.kill(first_pid, signal.SIGKILL)  # mid-job: it works for SLOW_SECONDS before its effect
    cluster.start_worker()  # the replacement a supervisor would start

    def effects() -> int:
        with cluster.connect() as conn:
            query = "SELECT count(*) FROM scale_effects WHERE key = %s"
            return conn.execute(query, [key]).fetchone()[0]

    wait_until(effects, timeout=60, what=f"the job to complete after the kill\n{cluster.logs()}")
    with cluster.connect() as conn:
        statuses = conn.execute(
            "SELECT status FROM procrastinate_jobs WHERE task_name = 'scale.slow_effect' "
            "AND args->>'key' = %s",
            [key],
        ).fetchall()
    assert statuses == [("succeeded",)]
    assert effects() == 1
    pids = attempts()
    assert len(pids) == 2 and pids[0] == first_pid and pids[1] != first_pid
