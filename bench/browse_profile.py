"""Where a browse request's time goes, for bench/browse.py: its CPU time, a cProfile of the
whole stack split into phases, and the same-run raw ceiling (a bare view through the same
middleware returning a page-sized string).

Wall time on a loaded machine counts other processes' turns; the CPU time of the thread
that runs the request (the test client runs it in the calling thread) counts only this
request's Python work, so it shows progress whatever the load. The database's own time is
in neither (it runs in the server's process): wall minus CPU is that plus waiting.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

# URL of the raw ceiling's view (added to the URLconf by `install_raw_view`).
RAW_PATH = "/bench-raw/"

# Phases of a request, by the function each lives in (cumulative time); `phase_split` takes
# the nested ones out of the phase around them.
PHASES: dict[str, tuple[str, str]] = {
    "session load": ("django/contrib/sessions/backends/db.py", "load"),
    "user": ("django/contrib/auth/__init__.py", "get_user"),
    "membership": ("reformer/accounts/queries.py", "memberships_of"),
    "view": ("reformer/web/client/views/browse.py", "browse"),
    "reads (one round trip)": ("reformer/core/batched_reads.py", "read_together"),
    "cards from rows": ("reformer/web/client/queries.py", "page"),
    "templates": ("django/template/backends/django.py", "render"),
    "list joined (in templates)": ("reformer/web/client/browse_html.py", "days_html"),
}
# (inner, outer): the inner phase's time is taken out of the outer one.
_NESTED = (
    ("session load", "user"),
    ("reads (one round trip)", "view"),
    ("cards from rows", "view"),
    ("templates", "view"),
    ("list joined (in templates)", "templates"),
)


def install_raw_view(body: bytes) -> None:
    """Serve `body` at RAW_PATH from a bare view (no decorator, no template, no query of its
    own) behind the project's whole middleware stack: the floor under any page of this size."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import clear_url_caches, include, path

    def raw(request):
        return HttpResponse(body, content_type="text/html; charset=utf-8")

    module = types.ModuleType("bench_browse_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path(RAW_PATH.strip("/") + "/", raw),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules["bench_browse_urls"] = module
    settings.ROOT_URLCONF = "bench_browse_urls"
    clear_url_caches()


def timed(get: Callable[[], object], requests: int, before: Callable[[], None] | None = None):
    """`requests` calls of `get`: sorted wall and CPU (this thread's) milliseconds."""
    walls, cpus = [], []
    for _ in range(requests):
        if before is not None:
            before()
        wall, cpu = time.perf_counter(), time.thread_time()
        get()
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return sorted(walls), sorted(cpus)


def profile(get: Callable[[], object], requests: int, path: Path) -> dict[str, float]:
    """cProfile `requests` calls of `get`, write the stats to `path` (pstats format: read with
    `python -m pstats`), return the CPU milliseconds per request of each phase."""
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(requests):
        get()
    profiler.disable()
    profiler.dump_stats(path)
    return phase_split(pstats.Stats(str(path)), requests)


def phase_split(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """Per-request CPU ms of each phase (cumulative, minus the phases it contains), and the
    whole request (`total`). cProfile's own cost inflates every figure (most where calls
    are many and small: templates); compare the shares."""
    cumulative: dict[str, float] = {}
    total = 0.0
    for (filename, _, function), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        if function == "get" and filename.endswith("django/test/client.py"):
            total = max(total, cum)
        for phase, (file_end, name) in PHASES.items():
            if function == name and filename.endswith(file_end):
                cumulative[phase] = max(cumulative.get(phase, 0.0), cum)
    ms = {phase: value * 1000 / requests for phase, value in cumulative.items()}
    split = dict(ms)
    for inner, outer in _NESTED:
        split[outer] = split.get(outer, 0.0) - ms.get(inner, 0.0)
    split["total"] = total * 1000 / requests
    split["rest (middleware, response)"] = split["total"] - sum(
        value for phase, value in split.items() if phase != "total"
    )
    return split
