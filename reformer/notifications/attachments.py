"""Files attached to an email, fetched when it is sent rather than copied into the outbox.

A queued message names its attachments in `context["attachments"]` as `{"kind": ..., "id":
...}`; the app owning that kind of file registers a resolver (in its AppConfig.ready) that
returns the file, or None when it is gone. The outbox row stays small, and a retry sends the
same file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


Resolver = Callable[[Any], Attachment | None]
_resolvers: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def reference(kind: str, id: Any) -> dict[str, Any]:
    """What to put in a message's context["attachments"] list."""
    return {"kind": kind, "id": id}


def resolve(context: dict[str, Any]) -> list[Attachment]:
    """The files a message's context names; an unknown kind or a vanished file is left out
    (the email still carries its download link)."""
    found = []
    for ref in context.get("attachments") or []:
        resolver = _resolvers.get(str(ref.get("kind", "")))
        attachment = resolver(ref.get("id")) if resolver is not None else None
        if attachment is not None:
            found.append(attachment)
    return found
