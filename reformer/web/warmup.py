"""Work every process would otherwise do on its first requests, done before it takes any.

Django imports the URLconf (every view, and what they import: seconds on a busy machine) on
the first request, and compiles each template the first time it is rendered. Both happened
in the event loop: the URLconf is resolved there by the async handler, and a live card is
rendered there (web/client/card_cache.py: one card is rendered here too). While they ran,
no websocket of the process was served: the first booking after a start reached open pages
seconds late. The ASGI lifespan (reformer/asgi.py) calls `warm_up` before the server accepts
connections.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.template import TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver

import reformer

logger = logging.getLogger(__name__)


def project_templates() -> list[str]:
    """The names of the project's own HTML templates (every `templates` folder in it)."""
    names = []
    for folder in sorted(Path(reformer.__file__).parent.rglob("templates")):
        names += sorted(str(path.relative_to(folder)) for path in folder.rglob("*.html"))
    return names


def warm_up() -> None:
    started = time.monotonic()
    get_resolver().url_patterns  # noqa: B018  (imports the URLconf, so every view)
    for name in project_templates():
        try:
            get_template(name)  # compiled once and kept by the cached loader
        except TemplateSyntaxError:
            logger.exception("template %s does not compile", name)
    # The live renderers' modules, and one class card rendered as a live event renders it.
    from reformer.web import live_render
    from reformer.web.client import card_cache

    live_render.autodiscover()
    try:
        card_cache.warm_up()
    except Exception:  # a warm-up that fails only leaves the first event slower
        logger.exception("live card warm-up failed")
    logger.info("warmed up in %.1f s", time.monotonic() - started)
