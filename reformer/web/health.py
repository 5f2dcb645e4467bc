"""GET /healthz: is this deployment doing its work? For load balancers and supervisors.

200 when the database answers, a job worker has sent a heartbeat recently and no job that
is due has waited too long; otherwise 503 with the failing checks. JSON either way, e.g.

    {"status": "ok", "database": "ok", "worker_heartbeat_age_s": 3.1,
     "oldest_due_job_age_s": 0.0, "jobs_due": 0, "problems": []}

No login needed and nothing about tenants is shown. `reformer serve --no-worker` with no
`reformer worker` running is reported unhealthy: jobs would never run.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reformer.web.unavailable import RETRY_AFTER_SECONDS, is_database_unavailable

# Procrastinate workers beat every 10 s.
WORKER_STALE_AFTER_S = 60.0
QUEUE_STALE_AFTER_S = 300.0

_CHECK_SQL = """
SELECT
  (SELECT EXTRACT(EPOCH FROM now() - max(last_heartbeat)) FROM procrastinate_workers),
  (SELECT EXTRACT(EPOCH FROM now() - min(COALESCE(j.scheduled_at, e.at)))
     FROM procrastinate_jobs j
     JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
    WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())),
  (SELECT count(*) FROM procrastinate_jobs
    WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))
"""


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 2000")
            cursor.execute(_CHECK_SQL)
            heartbeat_age, queue_age, due = cursor.fetchone()
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        response = JsonResponse(
            {"status": "unhealthy", "database": "unreachable", "problems": ["database"]},
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    heartbeat_age = None if heartbeat_age is None else float(heartbeat_age)
    queue_age = 0.0 if queue_age is None else max(float(queue_age), 0.0)
    problems = []
    if heartbeat_age is None or heartbeat_age > WORKER_STALE_AFTER_S:
        problems.append("worker")
    if queue_age > QUEUE_STALE_AFTER_S:
        problems.append("queue")
    body = {
        "status": "unhealthy" if problems else "ok",
        "database": "ok",
        "worker_heartbeat_age_s": None if heartbeat_age is None else round(heartbeat_age, 1),
        "oldest_due_job_age_s": round(queue_age, 1),
        "jobs_due": due,
        "problems": problems,
    }
    return JsonResponse(body, status=503 if problems else 200)
