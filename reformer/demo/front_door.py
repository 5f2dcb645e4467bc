"""The demo's front door: a private studio per location with reformers, a tower and a chair;
private, duet and trio sessions with instructors' weekly hours; a waiver and studio terms;
health questions; an intro offer; a jumpboard clearance and a tower prerequisite; and a
newcomer login with nothing done yet, to walk the whole path.

Existing demo clients have signed the documents and filled the form (they are regulars);
those with three or more classes attended are cleared for jumpboard.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db.models import Count, F, Q

from reformer.accounts.models import ClientProfile, Membership, User
from reformer.appointments.models import AppointmentType, WeeklyHours
from reformer.billing.models import ClientPackage, PackageProduct, Payment
from reformer.demo import content
from reformer.demo.world import World
from reformer.onboarding.models import (
    Acceptance,
    ClassRequirement,
    ClientTag,
    ClientTagGrant,
    Document,
    DocumentVersion,
    IntakeForm,
    IntakeQuestion,
    IntroOffer,
    IntroRedemption,
)
from reformer.studios.models import Room, Spot

NEWCOMER_EMAIL_LOCAL = "newcomer"
WAIVER = """Pilates, including reformer, tower and chair work, is physical exercise. I take part \
at my own risk and confirm that I am fit to exercise, or have my doctor's approval.

I will tell my instructor about any injury, condition or pregnancy before each session, and \
follow their cues on the equipment: springs, straps and the moving carriage can hurt if used \
carelessly.

Harbour Pilates is not liable for injury or loss except where caused by its negligence."""
TERMS = """Bookings open 14 days ahead. Cancel before the class's cancellation window to get \
your credit back; later, the credit is kept. Three no-shows pause online booking for a week. \
Packages are personal and cannot be shared."""
QUESTIONS = (
    ("Any injuries, surgeries or pain we should know about?", "long", True),
    ("Are you pregnant, or have you given birth in the last six months?", "yes_no", True),
    ("Any medical conditions (e.g. high blood pressure, osteoporosis)?", "long", False),
    ("What would you like to work on?", "short", False),
)
TYPES = (
    ("Private 55", 1, 55, "reformer", 1, "One-to-one on the reformer: the best way to start."),
    ("Duet 55", 2, 55, "reformer", 1, "Two friends, two reformers, one instructor."),
    ("Trio 55", 3, 55, "reformer", 1, "A small group of three on the reformers."),
    ("Tower Private 55", 1, 55, "tower", 2, "One-to-one on the tower."),
)


def create_front_door(world: World) -> None:
    org = world.organization
    now = world.now
    owner = world.staff.get("owner")
    for key, studio in world.studios.items():
        room = Room.objects.create(
            organization=org,
            studio=studio,
            name="Private Studio",
            capacity=4,
            grid_columns=2,
            grid_rows=2,
        )
        Spot.objects.bulk_create(
            [
                Spot(organization=org, room=room, label="Reformer A", column=0, row=0),
                Spot(organization=org, room=room, label="Reformer B", column=1, row=0),
                Spot(
                    organization=org,
                    room=room,
                    label="Tower",
                    column=0,
                    row=1,
                    equipment_type="tower",
                ),
                Spot(
                    organization=org,
                    room=room,
                    label="Chair",
                    column=1,
                    row=1,
                    equipment_type="chair",
                ),
            ]
        )
        world.rooms[f"{key}-private"] = room
    instructors = [member for member, _spec in world.instructors]
    types = []
    for name, capacity, minutes, equipment, credits, description in TYPES:
        kind = AppointmentType.objects.create(
            organization=org,
            name=name,
            capacity=capacity,
            duration_minutes=minutes,
            equipment=equipment,
            credits=credits,
            description=description,
            cancellation_window_hours=24,
        )
        kind.instructors.set(instructors)
        types.append(kind)
    hours = []
    for member, spec in world.instructors:
        if not spec.studios:
            continue
        home = world.studios[spec.studios[0]]
        for weekday in range(5):
            hours.append(
                WeeklyHours(
                    organization=org,
                    instructor=member,
                    studio=home,
                    weekday=weekday,
                    starts=dt.time(11),
                    ends=dt.time(15),
                )
            )
        hours.append(
            WeeklyHours(
                organization=org,
                instructor=member,
                studio=home,
                weekday=5,
                starts=dt.time(9),
                ends=dt.time(12),
            )
        )
    WeeklyHours.objects.bulk_create(hours)

    versions = []
    for title, body in (("Liability waiver", WAIVER), ("Studio terms", TERMS)):
        document = Document.objects.create(organization=org, title=title)
        versions.append(
            DocumentVersion.objects.create(
                organization=org,
                document=document,
                number=1,
                body=body,
                published_at=now - dt.timedelta(days=400),
                published_by=owner,
            )
        )
    questions = [
        IntakeQuestion.objects.create(
            organization=org, prompt=prompt, kind=kind, required=required, position=i
        )
        for i, (prompt, kind, required) in enumerate(QUESTIONS)
    ]
    intro = PackageProduct.objects.create(
        organization=org,
        name="Intro: 2 Privates",
        kind="class_pack",
        credits=2,
        validity_days=30,
        price=Decimal("99.00"),
        currency="USD",
        description="Two private sessions to learn the reformer. First-timers only.",
    )
    IntroOffer.objects.create(organization=org, product=intro)

    jumpboard = ClientTag.objects.create(
        organization=org,
        name="Cleared for jumpboard",
        description="Safe landing and spring set-up checked by an instructor.",
    )
    class_types = {ct.name: ct for ct in world.class_types.values()}
    if "Jumpboard" in class_types:
        ClassRequirement.objects.create(
            organization=org, class_type=class_types["Jumpboard"], kind="tag", tag=jumpboard
        )
    if "Tower" in class_types:
        ClassRequirement.objects.create(
            organization=org, class_type=class_types["Tower"], kind="private", min_count=1
        )

    regulars: list[Membership] = list(
        Membership.objects.filter(organization=org, role="client").select_related("user")
    )
    Acceptance.objects.bulk_create(
        Acceptance(
            organization=org,
            client=member,
            version=version,
            text_seen=version.body,
            accepted_at=member.created_at,
            signature=member.user.name or member.user.email,
        )
        for member in regulars
        for version in versions
    )
    IntakeForm.objects.bulk_create(
        IntakeForm(
            organization=org,
            client=member,
            answers={
                str(q.pk): {"prompt": q.prompt, "answer": "no" if q.kind == "yes_no" else ""}
                for q in questions
            },
            submitted_at=member.created_at,
            updated_at=member.created_at,
        )
        for member in regulars
    )
    cleared = set(
        Membership.objects.filter(organization=org, role="client")
        .annotate(attended=Count("bookings", filter=Q(bookings__status="attended")))
        .filter(attended__gte=3)
        .values_list("pk", flat=True)
    )
    ClientTagGrant.objects.bulk_create(
        ClientTagGrant(
            organization=org,
            client=member,
            tag=jumpboard,
            granted_by=owner,
            granted_at=now - dt.timedelta(days=30),
            note="Regular",
        )
        for member in regulars
        if member.pk in cleared
    )
    regulars += _trial_clients(world)
    _intro_history(world, intro, regulars)
    newcomer = User.objects.create(
        email=f"{NEWCOMER_EMAIL_LOCAL}@{content.EMAIL_DOMAIN}",
        name="Nina Newcomer",
        password=make_password(content.PASSWORD),
    )
    membership = Membership.objects.create(user=newcomer, organization=org, role="client")
    ClientProfile.objects.create(organization=org, membership=membership)


TRIAL_NAMES = (
    "Mia K. Brooks",
    "Leo T. Grant",
    "Ivy R. Moss",
    "Theo J. Lane",
    "Ruby S. Hart",
    "Finn A. Cole",
    "Nora E. Price",
    "Jude M. Wells",
    "Ella P. Stone",
    "Owen D. Fox",
)


def _trial_clients(world: World) -> list[Membership]:
    """Newcomers of the last weeks who took the intro offer and have not bought since."""
    org = world.organization
    hashed = make_password(content.PASSWORD)
    members = []
    for i, name in enumerate(TRIAL_NAMES):
        joined = world.now - dt.timedelta(days=3 + 4 * i, hours=i)
        user = User.objects.create(
            email=f"trial{i + 1}@{content.EMAIL_DOMAIN}", name=name, password=hashed
        )
        member = Membership.objects.create(user=user, organization=org, role="client")
        Membership.objects.filter(pk=member.pk).update(created_at=joined)
        member.created_at = joined
        ClientProfile.objects.create(organization=org, membership=member)
        members.append(member)
    return members


def _intro_history(world: World, intro: PackageProduct, regulars: list[Membership]) -> None:
    """Clients who joined in the last 75 days took the intro offer when they joined (paid,
    2 privates they have not used); the owner's intro conversion counts those who bought
    again afterwards."""
    demo_client_id = world.clients[0].membership.pk if world.clients else None
    recent = [
        member
        for member in regulars
        if member.created_at >= world.now - dt.timedelta(days=75) and member.pk != demo_client_id
    ]
    packages = ClientPackage.objects.bulk_create(
        ClientPackage(
            organization=world.organization,
            client=member,
            product=intro,
            credits_total=2,
            credits_remaining=2,
            starts_at=member.created_at,
            expires_at=member.created_at + dt.timedelta(days=intro.validity_days),
            source=ClientPackage.Source.PURCHASE,
        )
        for member in recent
    )
    Payment.objects.bulk_create(
        Payment(
            organization=world.organization,
            client=package.client,
            product=intro,
            client_package=package,
            amount=intro.price,
            currency=intro.currency,
            status=Payment.Status.SUCCEEDED,
            created_at=package.starts_at,
        )
        for package in packages
    )
    IntroRedemption.objects.bulk_create(
        IntroRedemption(
            organization=world.organization,
            client=package.client,
            product=intro,
            client_package=package,
            redeemed_at=package.starts_at,
        )
        for package in packages
    )
    ClientPackage.objects.filter(pk__in=[p.pk for p in packages]).update(created_at=F("starts_at"))
