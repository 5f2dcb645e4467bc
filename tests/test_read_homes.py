"""Reads have one home each (docs/architecture.md, section 1): a public function of a domain
app's `queries.py` is there because some entry point (a view, the API, a job, an action)
reads through it. One that only tests call is a second copy of a read the screens do
elsewhere, waiting to drift: delete it, or make the screens use it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reformer"


def _domain_query_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("*/queries.py"))


def _public_functions(module: Path) -> list[str]:
    tree = ast.parse(module.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
    ]


def _sources() -> dict[Path, str]:
    return {
        path: path.read_text()
        for path in PACKAGE.rglob("*")
        if path.suffix in (".py", ".html", ".txt") and path.is_file()
    }


def test_every_domain_read_has_a_caller_outside_the_tests():
    sources = _sources()
    unused = []
    for module in _domain_query_modules():
        own = sources[module]
        for name in _public_functions(module):
            word = re.compile(rf"\b{re.escape(name)}\b")
            used_elsewhere = any(
                word.search(text) for path, text in sources.items() if path != module
            )
            # A helper the module itself uses (e.g. a scope other reads build on) counts.
            used_inside = len(word.findall(own)) > 1
            if not (used_elsewhere or used_inside):
                unused.append(f"{module.relative_to(PACKAGE.parent)}: {name}")
    assert not unused, "reads nothing calls (delete them or use them):\n" + "\n".join(unused)


def test_the_check_sees_the_domain_modules():
    names = {path.parent.name for path in _domain_query_modules()}
    assert {"studios", "scheduling", "bookings", "accounts"} <= names
