"""Roles -> capabilities. The only module that knows what a role may do (ARCHITECTURE §4).

Everything else asks `require(actor, CAPABILITY, studio=..., session=...)`. Scoping:
owners reach every studio of their organization; managers, front desk and instructors
only the studios on their membership; an instructor's session capabilities reach only
the sessions they teach; clients act only on themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reformer.core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from reformer.accounts.models import Membership
    from reformer.appointments.models import Appointment
    from reformer.scheduling.models import ClassSession
    from reformer.studios.models import Studio

# Capabilities, named for what they allow.
MANAGE_ORGANIZATION = "organization.manage"  # name, branding, ownership
MANAGE_BILLING = "billing.manage"  # package products and prices
CREATE_STUDIO = "studio.create"
MANAGE_STUDIO = "studio.manage"  # hours, closures, policy, rooms, spots
MANAGE_CLASS_TYPES = "class_types.manage"
MANAGE_SCHEDULE = "schedule.manage"  # sessions and recurring templates
INVITE_STAFF = "staff.invite"
MANAGE_STAFF = "staff.manage"  # roles, studio scope, deactivation
VIEW_CLIENTS = "clients.view"
EDIT_CLIENT_DETAILS = "clients.edit_details"  # the desk corrects a client's birth date
GRANT_PACKAGE = "packages.grant"
BOOK_FOR_CLIENT = "bookings.book_for_client"  # book and cancel on a client's behalf
OVERRIDE_POLICY = "bookings.override_policy"  # e.g. return a late-cancel credit
LIFT_SUSPENSION = "clients.lift_suspension"
VIEW_ROSTER = "sessions.view_roster"
MARK_ATTENDANCE = "sessions.mark_attendance"
EDIT_SESSION_NOTES = "sessions.edit_notes"
VIEW_SCHEDULE = "schedule.view"
VIEW_METRICS = "metrics.view"
REVOKE_CALENDAR_FEEDS = "calendar_feeds.revoke"  # end anyone's calendar subscription
VIEW_REPORTS = "reports.view"  # monthly business reports (PDF), their settings
BOOK_SELF = "bookings.book_self"  # clients booking, cancelling, waitlisting for themselves
VIEW_ALERTS = "alerts.view"  # staff alerts of the studios in reach
RESOLVE_ALERTS = "alerts.resolve"
VIEW_SYSTEM_ALERTS = "alerts.view_system"  # alerts about the installation (job worker, ...)
BUY_ONLINE = "payments.buy_online"  # clients paying for their own packages and memberships
SELL_AT_DESK = "payments.sell_at_desk"  # cash, card terminal or complimentary at the desk
VIEW_PAYMENTS = "payments.view"  # payment history of clients and studios
REFUND_PAYMENTS = "payments.refund"  # refunds (full or partial) and fee refunds
MANAGE_SUBSCRIPTIONS = "payments.manage_subscriptions"  # cancel or pause a membership
MANAGE_APPOINTMENT_TYPES = "appointments.manage_types"  # privates, duets: price, equipment
MANAGE_AVAILABILITY = "appointments.manage_availability"  # instructors' hours (own: see below)
MANAGE_ONBOARDING = "onboarding.manage"  # waivers, intake questions, intro offers, prerequisites
GRANT_CLIENT_TAG = "clients.grant_tag"  # levels and clearances ("cleared for jumpboard")
VIEW_INTAKE = "clients.view_intake"  # health intake; object scope in may_view_intake
VIEW_MESSAGES = "messages.view"  # the message log: what was sent to clients, and its fate
MANAGE_MESSAGING = "messaging.manage"  # sender, reminders, test sends, provider status
# API keys, outbound webhooks, the full export and imports: everything the organization owns.
MANAGE_INTEGRATIONS = "integrations.manage"

_STAFF_DESK = {
    BOOK_FOR_CLIENT,
    EDIT_CLIENT_DETAILS,
    OVERRIDE_POLICY,
    VIEW_CLIENTS,
    VIEW_ROSTER,
    MARK_ATTENDANCE,
    LIFT_SUSPENSION,
    VIEW_SCHEDULE,
    VIEW_ALERTS,
    RESOLVE_ALERTS,
    SELL_AT_DESK,
    VIEW_PAYMENTS,
    GRANT_CLIENT_TAG,
    VIEW_INTAKE,
    VIEW_MESSAGES,
}
_MANAGER = _STAFF_DESK | {
    MANAGE_STUDIO,
    MANAGE_CLASS_TYPES,
    MANAGE_SCHEDULE,
    INVITE_STAFF,
    MANAGE_STAFF,
    GRANT_PACKAGE,
    EDIT_SESSION_NOTES,
    VIEW_METRICS,
    REVOKE_CALENDAR_FEEDS,
    REFUND_PAYMENTS,
    MANAGE_SUBSCRIPTIONS,
    MANAGE_APPOINTMENT_TYPES,
    MANAGE_AVAILABILITY,
}
_OWNER = _MANAGER | {
    MANAGE_ORGANIZATION,
    MANAGE_BILLING,
    CREATE_STUDIO,
    VIEW_SYSTEM_ALERTS,
    VIEW_REPORTS,
    MANAGE_ONBOARDING,
    MANAGE_MESSAGING,
    MANAGE_INTEGRATIONS,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    "owner": frozenset(_OWNER),
    "manager": frozenset(_MANAGER),
    "front_desk": frozenset(_STAFF_DESK),
    "instructor": frozenset(
        {
            VIEW_ROSTER,
            MARK_ATTENDANCE,
            EDIT_SESSION_NOTES,
            VIEW_SCHEDULE,
            MANAGE_AVAILABILITY,
            GRANT_CLIENT_TAG,
            VIEW_INTAKE,
        }
    ),
    "client": frozenset({BOOK_SELF, BUY_ONLINE, VIEW_SCHEDULE}),
}

# Capabilities an instructor holds only for sessions (classes, appointments) they teach.
_OWN_SESSION_ONLY = {VIEW_ROSTER, MARK_ATTENDANCE, EDIT_SESSION_NOTES}
# Capabilities an instructor holds only for themself (their own appointment hours).
_OWN_PERSON_ONLY = {MANAGE_AVAILABILITY}
# Roles whose reach is limited to the studios listed on their membership.
STUDIO_SCOPED_ROLES = frozenset({"manager", "front_desk", "instructor"})
# Roles that are staff of the organization (see the back office).
STAFF_ROLES = frozenset({"owner", "manager", "front_desk", "instructor"})
# Roles a manager may hand out; only owners create owners and managers.
ROLES_MANAGERS_MAY_GRANT = frozenset({"front_desk", "instructor", "client"})


def has_capability(
    actor: Membership,
    capability: str,
    *,
    studio: Studio | None = None,
    session: ClassSession | Appointment | None = None,
) -> bool:
    if not actor.active or capability not in CAPABILITIES.get(actor.role, ()):
        return False
    if session is not None:
        studio = session.studio
        if actor.role == "instructor" and capability in _OWN_SESSION_ONLY:
            return session.instructor_id == actor.pk
    if studio is not None and actor.role in STUDIO_SCOPED_ROLES:
        return studio.pk in studio_ids_in_scope(actor)
    return True


def require(
    actor: Membership,
    capability: str,
    *,
    studio: Studio | None = None,
    session: ClassSession | Appointment | None = None,
) -> None:
    """Raise NotFound for another organization's object, PermissionDenied for a wrong role."""
    for obj in (studio, session):
        if obj is not None:
            require_same_organization(actor, obj)
    if not has_capability(actor, capability, studio=studio, session=session):
        raise PermissionDenied(capability)


def require_same_organization(actor: Membership, obj: object, what: str | None = None) -> None:
    if getattr(obj, "organization_id", None) != actor.organization_id:
        raise NotFound(what or type(obj).__name__.lower())


def studio_ids_in_scope(actor: Membership) -> set[int]:
    """Studio ids the actor reaches. Cached on the membership for the request."""
    cached = getattr(actor, "_studio_ids_in_scope", None)
    if cached is None:
        from reformer.studios.models import Studio

        if actor.role in STUDIO_SCOPED_ROLES:
            cached = set(actor.studios.values_list("pk", flat=True))
        else:
            cached = set(
                Studio.objects.filter(organization_id=actor.organization_id).values_list(
                    "pk", flat=True
                )
            )
        actor._studio_ids_in_scope = cached
    return cached


def grantable_roles(actor: Membership) -> frozenset[str]:
    """Roles the actor may give or change: owners any, managers front desk, instructor and
    client, everyone else none."""
    if not actor.active:
        return frozenset()
    if actor.role == "owner":
        return frozenset(CAPABILITIES)
    if actor.role == "manager":
        return ROLES_MANAGERS_MAY_GRANT
    return frozenset()


def limited_to_own_studios(actor: Membership) -> bool:
    """Whether the actor reaches only the studios on their membership (not the owner)."""
    return actor.role in STUDIO_SCOPED_ROLES


def reaches_studios(actor: Membership, studio_ids: set[int]) -> bool:
    """Whether every one of these studios is in the actor's scope (owners reach them all)."""
    return reaches_every_studio(actor) or studio_ids <= studio_ids_in_scope(actor)


def reaches_every_studio(actor: Membership) -> bool:
    """Owners act across the whole organization; every other role within its studio scope."""
    return actor.role == "owner"


def may_manage_member(actor: Membership, member: Membership) -> bool:
    """Whether the actor (who holds MANAGE_STAFF) may edit, deactivate or reactivate this
    member: see `why_not_manage_member`."""
    return why_not_manage_member(actor, member) is None


def why_not_manage_member(actor: Membership, member: Membership) -> str | None:
    """None when the actor (who holds MANAGE_STAFF) may manage this staff member, else why
    not, in words for the actor. Owners manage anyone; managers only roles they may grant,
    scoped to studios all within their own (a member who also works at another studio, or
    at none, is an owner's to manage). The one rule for the lists (which hide Edit and
    Deactivate), the edit page (which refuses) and the actions (which enforce it). Reads
    `member.studios.all()`, so a list prefetches it."""
    if reaches_every_studio(actor):
        return None
    if member.role not in grantable_roles(actor):
        return "Only an owner can manage owners and managers."
    if member.role not in STUDIO_SCOPED_ROLES:
        return None  # a client: no studio scope to be outside of
    studios = list(member.studios.all())
    if not studios:
        return "Not assigned to a studio: an owner manages them."
    in_scope = studio_ids_in_scope(actor)
    outside = [studio.name for studio in studios if studio.pk not in in_scope]
    if outside:
        works = "teaches" if member.role == "instructor" else "works"
        return f"Also {works} at {', '.join(outside)}: an owner manages them."
    return None


def may_revoke_feed_of(actor: Membership, target: Membership) -> bool:
    """Staff holding REVOKE_CALENDAR_FEEDS revoke a client's feed; a staff member's only when
    all their studios are in reach, and an owner's or manager's only as an owner."""
    if is_client(target):
        return True
    studio_ids = set(target.studios.values_list("pk", flat=True))
    if not reaches_studios(actor, studio_ids):
        return False
    return reaches_every_studio(actor) or target.role not in ("owner", "manager")


def teaches_only(actor: Membership) -> bool:
    """Instructors reach only the classes and appointments they teach (and those clients)."""
    return actor.role == "instructor"


def is_client(membership: Membership) -> bool:
    """A client membership (books for themselves; has a client profile and packages)."""
    return membership.role == "client"


def is_staff(actor: Membership) -> bool:
    return actor.active and actor.role in STAFF_ROLES


def may_manage_time_off_of(
    actor: Membership, instructor: Membership, *, instructor_studio_ids: set[int] | None = None
) -> bool:
    """Who marks a member of staff away (PHX-17): they themself, or someone who manages the
    schedule of a studio they teach at (owners: everyone). `instructor_studio_ids`: their
    studios when a list already holds them (saves a query per row)."""
    if not (is_staff(actor) and is_staff(instructor)):
        return False
    if actor.pk == instructor.pk:
        return True
    if not has_capability(actor, MANAGE_SCHEDULE):
        return False
    if reaches_every_studio(actor) or reaches_every_studio(instructor):
        return True
    theirs = (
        studio_ids_in_scope(instructor) if instructor_studio_ids is None else instructor_studio_ids
    )
    return bool(theirs & studio_ids_in_scope(actor))


def may_manage_hours_of(actor: Membership, instructor: Membership, studio: Studio) -> bool:
    """Managers set anyone's appointment hours in their studios; instructors only their own."""
    if not has_capability(actor, MANAGE_AVAILABILITY, studio=studio):
        return False
    if teaches_only(actor) and MANAGE_AVAILABILITY in _OWN_PERSON_ONLY:
        return instructor.pk == actor.pk
    return True


def may_view_intake(
    actor: Membership, *, client_studio_ids: set[int], teaches_client: bool
) -> bool:
    """A client's health intake: the client, the instructor of one of their classes or
    appointments, and desk staff and managers of a studio the client books at (owners: any).
    Nobody else, not other clients, not instructors who never teach them."""
    if not has_capability(actor, VIEW_INTAKE):
        return False
    if teaches_only(actor):
        return teaches_client
    return reaches_every_studio(actor) or bool(client_studio_ids & studio_ids_in_scope(actor))
