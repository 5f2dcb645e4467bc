"""factory_boy factories for the domain. Every factory keeps `organization` consistent."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from reformer.accounts.models import ClientProfile, Membership, User
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Organization, Room, Spot, Studio, StudioPolicy


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Studio Group {n}")
    slug = factory.Sequence(lambda n: f"group-{n}")
    time_zone = "America/New_York"
    # The tests read times as "17:30" and dates day-first; a New York organization left on
    # automatic would write "5:30 PM" (tests/core/test_timeformat.py proves the choice).
    locale = "en-GB"


class StudioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Studio
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Studio {n}")
    address = "1 Main Street"
    time_zone = "America/New_York"
    policy = factory.RelatedFactory(
        "tests.factories.StudioPolicyFactory",
        factory_related_name="studio",
        organization=factory.SelfAttribute("..organization"),
    )


class StudioPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudioPolicy

    studio = factory.SubFactory(StudioFactory)
    organization = factory.SelfAttribute("studio.organization")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    studio = factory.SubFactory(StudioFactory)
    organization = factory.SelfAttribute("studio.organization")
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 10


class SpotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Spot

    room = factory.SubFactory(RoomFactory)
    organization = factory.SelfAttribute("room.organization")
    label = factory.Sequence(lambda n: f"Reformer {n}")
    row = factory.Sequence(lambda n: n // 4)
    column = factory.Sequence(lambda n: n % 4)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "client"

    @factory.post_generation
    def studios(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.studios.set(extracted)

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):
        if create and obj.role == "client":
            ClientProfile.objects.get_or_create(membership=obj, organization=obj.organization)


class ClassTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassType

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Reformer Flow {n}")
    duration_minutes = 50
    default_capacity = 10


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    room = factory.SubFactory(RoomFactory)
    studio = factory.SelfAttribute("room.studio")
    organization = factory.SelfAttribute("room.organization")
    class_type = factory.SubFactory(
        ClassTypeFactory, organization=factory.SelfAttribute("..organization")
    )
    starts_at = factory.Sequence(
        lambda n: (timezone.now() + dt.timedelta(days=2, hours=n)).replace(
            minute=0, second=0, microsecond=0
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=50))
    capacity = 10


class PackageProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PackageProduct

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"10-Class Pack {n}")
    kind = PackageProduct.Kind.CLASS_PACK
    credits = 10
    validity_days = 90
    price = Decimal("250.00")


class ClientPackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientPackage

    client = factory.SubFactory(MembershipFactory)
    organization = factory.SelfAttribute("client.organization")
    product = factory.SubFactory(
        PackageProductFactory, organization=factory.SelfAttribute("..organization")
    )
    credits_total = factory.LazyAttribute(lambda o: o.product.credits)
    credits_remaining = factory.LazyAttribute(lambda o: o.credits_total)
    weekly_limit = factory.LazyAttribute(lambda o: o.product.weekly_limit)
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=90))
    source = ClientPackage.Source.STAFF_GRANT  # bought packages come with a Payment


_slot = itertools.count()


def next_start(days: float = 2) -> dt.datetime:
    """A fresh class start: 2-hour slots over the 5 days from `days` ahead, so classes never
    overlap unless a test asks them to (60 of them, well inside the booking window)."""
    base = (timezone.now() + dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return base + dt.timedelta(hours=2 * (next(_slot) % 60))


def make_session(
    tenant,
    *,
    starts_at: dt.datetime | None = None,
    minutes: int = 50,
    capacity: int = 10,
    room: Room | None = None,
    studio: Studio | None = None,
    class_type: ClassType | None = None,
    instructor: Membership | str | None = "instructor",
    **fields,
) -> ClassSession:
    """One class of `tenant` (tests/conftest.Tenant): the tests' only way to make one.

    By default: at `next_start()`, 50 minutes, 10 places, in the tenant's room, of its class
    type, taught by its instructor. `instructor` is a Membership, a role of the tenant
    ("manager") or None; `studio` without `room` puts the class in a new room there.
    """
    if room is None:
        room = tenant.room if studio in (None, tenant.studio) else RoomFactory(studio=studio)
    starts_at = starts_at or next_start()
    return ClassSessionFactory(
        organization=tenant.organization,
        studio=studio or room.studio,
        room=room,
        class_type=class_type or tenant.class_type,
        instructor=tenant.members[instructor] if isinstance(instructor, str) else instructor,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        capacity=capacity,
        **fields,
    )
