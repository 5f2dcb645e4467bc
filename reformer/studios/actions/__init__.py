"""Every change to organizations, studios, hours, closures, policies, rooms and spots.

Each action (ARCHITECTURE §5.1) takes the actor first and data as keywords, authorizes through
core.permissions, validates, writes inside `transaction.atomic()`, and appends an audit event;
a refusal raises DomainError and writes nothing. Locks follow reformer/studios/locking.py.
"""

from reformer.studios.actions.organizations import (
    CREATE_ORGANIZATION,
    create_organization,
    update_organization,
)
from reformer.studios.actions.rooms import (
    add_spot,
    create_room,
    deactivate_spot,
    set_spot_layout,
    update_room,
    update_spot,
)
from reformer.studios.actions.studios import (
    add_closure,
    clean_opening_hours,
    create_studio,
    remove_closure,
    set_opening_hours,
    set_special_hours,
    update_policy,
    update_studio,
)

__all__ = [
    "CREATE_ORGANIZATION",
    "add_closure",
    "add_spot",
    "clean_opening_hours",
    "create_organization",
    "create_room",
    "create_studio",
    "deactivate_spot",
    "remove_closure",
    "set_opening_hours",
    "set_special_hours",
    "set_spot_layout",
    "update_organization",
    "update_policy",
    "update_room",
    "update_spot",
    "update_studio",
]
