"""What the full export holds: one table per kind of record the organization owns.

Each table lists every stored field of its model (so fields added later are exported
without a change here), plus a few joined columns a spreadsheet user needs (the client's
email beside client_id). clients.csv, packages.csv and bookings.csv also carry the
columns of the Reformer import template, so an export imports into another organization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import QuerySet

from reformer.accounts.models import ClientProfile, Membership, Role
from reformer.appointments.models import (
    Appointment,
    AppointmentType,
    Attendee,
    HoursException,
    WeeklyHours,
)
from reformer.billing.models import (
    ClientPackage,
    CreditLedger,
    PackageProduct,
    Payment,
    Subscription,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession, ClassType, RecurringTemplate, RotationSlot
from reformer.studios.models import Closure, Organization, Room, Spot, Studio, StudioPolicy


@dataclass(frozen=True)
class Column:
    name: str
    path: str  # ORM path for values_list
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    model: type[models.Model]
    rows: Callable[[int], QuerySet]
    extra: tuple[Column, ...] = ()
    exclude: frozenset[str] = field(default_factory=frozenset)

    def columns(self) -> list[Column]:
        own = [
            Column(f.attname, f.attname, _describe(f))
            for f in self.model._meta.concrete_fields
            if f.attname not in self.exclude
        ]
        taken = {c.name for c in own}
        return own + [c for c in self.extra if c.name not in taken]


def _describe(f: models.Field) -> str:
    text = str(f.help_text or f.verbose_name).strip()
    text = text[0].upper() + text[1:] if text else f.attname
    related = f.related_model if f.is_relation else None
    if isinstance(related, type):
        text += f" (id of a row in {_TABLE_OF.get(related, related.__name__)})"
    choices = list(getattr(f, "choices", None) or [])
    if choices:
        text += ": " + ", ".join(str(value) for value, _ in choices)
    return text


def by_org(model: type[models.Model]) -> Callable[[int], QuerySet]:
    return lambda organization_id: model._default_manager.filter(organization_id=organization_id)


C = Column
CLIENT_EMAIL = C("client_email", "client__user__email", "The client's email address")

TABLES: tuple[Table, ...] = (
    Table(
        "organization",
        "The organization itself",
        Organization,
        lambda org: Organization.objects.filter(pk=org),
    ),
    Table("studios", "Studios (locations)", Studio, by_org(Studio)),
    Table("studio_policies", "Each studio's booking rules", StudioPolicy, by_org(StudioPolicy)),
    Table("rooms", "Rooms of the studios", Room, by_org(Room)),
    Table("spots", "Spots (equipment places) in rooms", Spot, by_org(Spot)),
    Table("closures", "Days a studio is closed", Closure, by_org(Closure)),
    Table("class_types", "Kinds of class taught", ClassType, by_org(ClassType)),
    Table("templates", "Weekly recurring classes", RecurringTemplate, by_org(RecurringTemplate)),
    Table(
        "template_rotation",
        "Instructors taking turns on a weekly class, in order",
        RotationSlot,
        lambda org: RotationSlot.objects.filter(template__organization_id=org),
    ),
    Table(
        "classes",
        "Scheduled (and cancelled) classes",
        ClassSession,
        by_org(ClassSession),
        extra=(
            C("studio", "studio__name", "Studio name"),
            C("class_type", "class_type__name", "Class type name"),
            C("instructor_email", "instructor__user__email", "Instructor's email"),
        ),
    ),
    Table(
        "clients",
        "Clients (Reformer import template columns: email, name, phone)",
        Membership,
        lambda org: Membership.objects.filter(organization_id=org, role=Role.CLIENT),
        extra=(
            C("email", "user__email", "Email address (login)"),
            C("name", "user__name", "Full name"),
            C("phone", "user__phone", "Phone number, E.164"),
            C(
                "emergency_contact_name",
                "client_profile__emergency_contact_name",
                "Emergency contact",
            ),
            C(
                "emergency_contact_phone",
                "client_profile__emergency_contact_phone",
                "Emergency contact phone",
            ),
            C("birth_date", "client_profile__birth_date", "Birthday (YYYY-MM-DD)"),
            C("health_notes", "client_profile__health_notes", "Health notes for instructors"),
            C("no_show_strikes", "client_profile__no_show_strikes", "No-shows counted"),
            C("suspended_until", "client_profile__suspended_until", "Booking suspended until"),
        ),
        exclude=frozenset({"bio"}),
    ),
    Table(
        "staff",
        "Owners, managers, front desk and instructors",
        Membership,
        lambda org: Membership.objects.filter(organization_id=org).exclude(role=Role.CLIENT),
        extra=(
            C("email", "user__email", "Email address (login)"),
            C("name", "user__name", "Full name"),
            C("phone", "user__phone", "Phone number, E.164"),
        ),
    ),
    Table(
        "client_profiles",
        "Client profile records (also folded into clients.csv)",
        ClientProfile,
        by_org(ClientProfile),
    ),
    Table(
        "products",
        "Packages, memberships and passes for sale",
        PackageProduct,
        by_org(PackageProduct),
    ),
    Table(
        "packages",
        "Clients' packages (Reformer import template columns: client_email, product, kind, "
        "credits_total, credits_remaining, starts_at, expires_at, status)",
        ClientPackage,
        by_org(ClientPackage),
        extra=(
            CLIENT_EMAIL,
            C("product", "product__name", "Product name"),
            C("kind", "product__kind", "class_pack, unlimited or membership"),
        ),
    ),
    Table(
        "credit_ledger",
        "Every credit spent (-1) or returned (+1); per package it sums to -(credits used)",
        CreditLedger,
        by_org(CreditLedger),
    ),
    Table(
        "bookings",
        "Bookings (Reformer import template columns: client_email, studio, class_type, "
        "class_starts_at, status, spot)",
        Booking,
        by_org(Booking),
        extra=(
            CLIENT_EMAIL,
            C("studio", "session__studio__name", "Studio name"),
            C("class_type", "session__class_type__name", "Class type name"),
            C("class_starts_at", "session__starts_at", "Class start (UTC)"),
            C("spot", "spot__label", "Spot label"),
        ),
    ),
    Table(
        "attendance",
        "Attendance: bookings of classes marked attended or no-show",
        Booking,
        lambda org: Booking.objects.filter(
            organization_id=org, status__in=[Booking.Status.ATTENDED, Booking.Status.NO_SHOW]
        ),
        extra=(CLIENT_EMAIL, C("class_starts_at", "session__starts_at", "Class start (UTC)")),
    ),
    Table(
        "waitlist", "Waitlist entries", WaitlistEntry, by_org(WaitlistEntry), extra=(CLIENT_EMAIL,)
    ),
    Table(
        "appointment_types",
        "Privates, duets and trios offered (price in credits of a package kind, equipment, "
        "cancellation window)",
        AppointmentType,
        by_org(AppointmentType),
    ),
    Table(
        "appointment_instructors",
        "Which instructor teaches which appointment type",
        AppointmentType.instructors.through,
        lambda org: AppointmentType.instructors.through.objects.filter(
            appointmenttype__organization_id=org
        ),
        extra=(
            C("appointment_type", "appointmenttype__name", "Appointment type name"),
            C("instructor_email", "membership__user__email", "Instructor's email"),
        ),
    ),
    Table(
        "instructor_hours",
        "Instructors' weekly hours for appointments (studio local time; weekday 0 = Monday)",
        WeeklyHours,
        by_org(WeeklyHours),
        extra=(C("instructor_email", "instructor__user__email", "Instructor's email"),),
    ),
    Table(
        "instructor_hours_exceptions",
        "Dated changes to instructors' hours: extra hours or hours blocked",
        HoursException,
        by_org(HoursException),
        extra=(C("instructor_email", "instructor__user__email", "Instructor's email"),),
    ),
    Table(
        "appointments",
        "Appointments (privates, duets, trios): who teaches, where, when, on which equipment",
        Appointment,
        by_org(Appointment),
        extra=(
            C("studio", "studio__name", "Studio name"),
            C("appointment_type_name", "appointment_type__name", "Appointment type name"),
            C("instructor_email", "instructor__user__email", "Instructor's email"),
            C("spot_label", "spot__label", "Equipment (spot label)"),
        ),
    ),
    Table(
        "appointment_places",
        "Clients' places in appointments, with their attendance (attended, no-show) and the "
        "credits spent; the credit_ledger rows of a place name the appointment reference",
        Attendee,
        by_org(Attendee),
        extra=(
            CLIENT_EMAIL,
            C("appointment_reference", "appointment__reference", "Appointment reference"),
            C(
                "appointment_type_name",
                "appointment__appointment_type__name",
                "Appointment type name",
            ),
            C("studio", "appointment__studio__name", "Studio name"),
        ),
    ),
    Table("payments", "Payments", Payment, by_org(Payment), extra=(CLIENT_EMAIL,)),
    Table(
        "subscriptions",
        "Recurring memberships",
        Subscription,
        by_org(Subscription),
        extra=(CLIENT_EMAIL,),
    ),
    Table(
        "messages",
        "Emails and texts sent to members (the outbox)",
        Message,
        by_org(Message),
        extra=(C("recipient_email", "recipient__email", "Recipient's account email"),),
    ),
)

_TABLE_OF: dict[type[models.Model], str] = {}
for _table in TABLES:
    _TABLE_OF.setdefault(_table.model, f"{_table.name}.csv")
_TABLE_OF[Membership] = "clients.csv or staff.csv"
