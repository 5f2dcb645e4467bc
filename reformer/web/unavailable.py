"""When the database cannot be reached (restarting, pool saturated): 503 with Retry-After.

Django turns an uncaught exception into the 500 handler (`handler500` in reformer/urls.py);
this one answers 503 instead when the cause is the database being out of reach, at once and
without touching the database (no template context processors, no session). Browsers retry
by themselves after Retry-After; htmx requests get a toast instead.
"""

from __future__ import annotations

import logging
import sys

import psycopg
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# SQLSTATE classes/codes that mean "the server is not there right now", not "your query".
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{seconds}">
<title>Busy for a moment · Reformer</title>
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><main id="main" class="site-main container">
<div class="error-page stack card"><div class="card__body">
<h1>Busy for a moment</h1>
<p>Reformer can't reach its database right now. Nothing you did was lost: this page tries
again by itself in {seconds} seconds.</p>
<p><a class="btn btn--primary" href="">Try again now</a></p></div></div></main></body></html>
"""


def is_database_unavailable(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, PoolTimeout):
            return True
        if isinstance(error, psycopg.OperationalError):
            state = getattr(getattr(error, "diag", None), "sqlstate", None) or ""
            if not state or state.startswith(_UNAVAILABLE_STATES):
                return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.headers.get("HX-Request"):
        from reformer.web.toasts import toast_response

        response = toast_response(
            "Busy for a moment: nothing was changed. Please try again in a few seconds.",
            "error",
            status=503,
        )
    else:
        response = HttpResponse(_PAGE.format(seconds=RETRY_AFTER_SECONDS), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        logger.warning("database unavailable: answered 503 to %s", request.path)
        return unavailable_response(request)
    return defaults.server_error(request)
