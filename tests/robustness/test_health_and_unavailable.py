"""/healthz and the 503 answer when the database is out of reach (in process)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from reformer.web import live_share
from reformer.web.unavailable import is_database_unavailable, server_error


@pytest.fixture
def job_tables(db):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_workers")
    yield


def _heartbeat(seconds_ago: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat)"
            " VALUES (now() - make_interval(secs => %s))",
            [seconds_ago],
        )


def test_healthz_is_ok_with_a_fresh_worker_heartbeat(client, job_tables):
    _heartbeat(3)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["worker_heartbeat_age_s"] < 60


def test_healthz_reports_a_dead_worker(client, job_tables):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["worker"]
    _heartbeat(600)
    assert client.get("/healthz").json()["problems"] == ["worker"]


def test_healthz_reports_jobs_waiting_too_long(client, job_tables):
    _heartbeat(1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'notifications.send_message',"
            " 0, NULL, NULL, '{\"message_id\": 1}', now() - interval '10 minutes')"
            "::procrastinate_job_to_defer_v1])"
        )
    body = client.get("/healthz").json()
    assert body["problems"] == ["queue"]
    assert body["jobs_due"] == 1 and body["oldest_due_job_age_s"] >= 600


@pytest.mark.parametrize(
    "cause",
    [
        PoolTimeout("couldn't get a connection after 3.00 sec"),
        psycopg.OperationalError("connection failed: server closed the connection"),
    ],
)
def test_an_unreachable_database_answers_503_with_retry_after(cause):
    request = RequestFactory().get("/classes/")
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"tries" in response.content


def test_htmx_requests_get_a_toast_for_503():
    request = RequestFactory().get("/classes/", HTTP_HX_REQUEST="true")
    try:
        raise OperationalError("x") from PoolTimeout("busy")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["X-Reformer-Toast"] == "1"


def test_other_errors_stay_500(db):
    assert not is_database_unavailable(ValueError("bug"))
    request = RequestFactory().get("/")
    try:
        raise ValueError("bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500


def test_live_renders_never_hold_more_than_their_share(settings):
    settings.LIVE_RENDER_CONNECTIONS = 2
    live_share.reset()
    inside, most = [0], [0]
    lock = threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def render() -> None:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        entered.release()
        release.wait(10)
        with lock:
            inside[0] -= 1

    threads = [
        threading.Thread(target=live_share.with_live_share, args=(render,)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    assert entered.acquire(timeout=10) and entered.acquire(timeout=10)
    assert not entered.acquire(timeout=0.2)  # the third waits for a slot
    release.set()
    for thread in threads:
        thread.join(10)
    assert most[0] == 2
    live_share.reset()
