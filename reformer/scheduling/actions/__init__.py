"""Every change to class types, sessions, weekly templates and instructor availability, and
the generation of sessions from templates.

Each action (ARCHITECTURE §5.1) takes the actor first and data as keywords, authorizes through
core.permissions, validates, writes inside `transaction.atomic()`, and appends an audit event;
a refusal raises DomainError and writes nothing. Locks follow reformer/studios/locking.py.
Session cancellation belongs to the booking engine (`cancel_session` refunds clients).
"""

from reformer.scheduling.actions.availability import add_unavailability, remove_unavailability
from reformer.scheduling.actions.class_types import (
    create_class_type,
    remove_class_type_photo,
    set_class_type_photo,
    update_class_type,
)
from reformer.scheduling.actions.generation import GENERATION_HORIZON, generate_sessions
from reformer.scheduling.actions.rules import UNCHANGED, Unchanged
from reformer.scheduling.actions.sessions import (
    assign_instructor,
    create_session,
    set_session_notes,
    update_session,
)
from reformer.scheduling.actions.templates import (
    TemplateChange,
    create_template,
    deactivate_template,
    generate_template_sessions,
    update_template,
)

__all__ = [
    "GENERATION_HORIZON",
    "UNCHANGED",
    "TemplateChange",
    "Unchanged",
    "add_unavailability",
    "assign_instructor",
    "create_class_type",
    "create_session",
    "create_template",
    "deactivate_template",
    "generate_sessions",
    "generate_template_sessions",
    "remove_class_type_photo",
    "remove_unavailability",
    "set_class_type_photo",
    "set_session_notes",
    "update_class_type",
    "update_session",
    "update_template",
]
