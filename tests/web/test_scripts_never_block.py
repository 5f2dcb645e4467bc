"""No page waits for a script before it renders: every script a template includes is
`defer`, `async` or a module, and inline ones are data (JSON), never code."""

from __future__ import annotations

import re
from pathlib import Path

import reformer

PACKAGE = Path(reformer.__file__).parent
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
DATA_TYPES = ("application/json", "application/ld+json")


def _templates() -> list[Path]:
    return [path for path in PACKAGE.rglob("templates/**/*.html")]


def test_every_script_tag_is_deferred_or_data():
    blocking = []
    for path in _templates():
        for attributes in SCRIPT.findall(path.read_text(encoding="utf-8")):
            lowered = attributes.lower()
            if any(f'type="{kind}"' in lowered for kind in DATA_TYPES):
                continue
            if 'type="module"' in lowered or re.search(r"\b(defer|async)\b", lowered):
                continue
            blocking.append(f"{path.relative_to(PACKAGE)}: <script{attributes}>")
    assert blocking == []


def test_the_check_sees_the_templates():
    assert len(_templates()) > 100
    assert any("<script" in path.read_text(encoding="utf-8") for path in _templates())
