"""Roles are decided in one place (docs/architecture.md, section 1): code asks
`core/permissions.py` (`has_capability`, `is_client`, `reaches_every_studio`, `teaches_only`,
...) and never compares a membership's role with a literal itself. Otherwise a new role, or
a changed rule for an old one, would have to be found in every copy."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reformer"

ROLE_LITERAL = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)\s*(Role\.|[\"'(\[{])")

# Where the role is the data being changed, not a decision about what someone may do:
# changing a member's role or deactivating one (the last owner stays an owner).
ROLE_IS_THE_DATA = {"accounts/actions.py"}


def test_no_role_is_compared_outside_the_permissions_module():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "core/permissions.py" or relative in ROLE_IS_THE_DATA:
            continue
        if "/migrations/" in f"/{relative}" or relative.startswith("demo/"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ROLE_LITERAL.search(line):
                found.append(f"reformer/{relative}:{number}: {line.strip()}")
    assert not found, "ask core/permissions.py instead:\n" + "\n".join(found)


def test_the_check_catches_a_role_comparison():
    assert ROLE_LITERAL.search('if actor.role == "owner":')
    assert ROLE_LITERAL.search("if member.role in (Role.OWNER, Role.MANAGER):")
    assert not ROLE_LITERAL.search("if member.role in grantable_roles(actor):")
