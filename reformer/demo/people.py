"""Staff and clients: users (one password hash for all), memberships and client profiles."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from reformer.accounts.birthdays import birthday_in
from reformer.accounts.models import ClientProfile, Membership, Role, User
from reformer.core.timezones import local_to_utc
from reformer.demo import content
from reformer.demo.world import ClientPlan, World
from reformer.notifications.models import RecipientSettings

PERSONAS = {
    "unlimited": 0.18,
    "membership_8": 0.20,
    "pack_10": 0.30,
    "pack_5": 0.22,
    "drop_in": 0.10,
}
# Classes a week each persona aims for (a range drawn once per client).
WEEKLY = {
    "unlimited": (3.0, 5.0),
    "membership_8": (1.8, 2.0),
    "pack_10": (2.0, 3.0),
    "pack_5": (1.4, 2.4),
    "drop_in": (0.8, 1.4),
}


def email_for(local_part: str) -> str:
    return f"{local_part}@{content.EMAIL_DOMAIN}"


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def phone_number(prefix: str, number: int) -> str:
    # E.164: North American numbers have 11 digits, UK London numbers 12.
    digits = (11 if prefix.startswith("+1") else 12) - (len(prefix) - 1)
    return f"{prefix}{number % 10**digits:0{digits}d}"


def create_people(world: World) -> list[tuple[Membership, dt.datetime]]:
    """Saves users and memberships; returns each membership's joining time."""
    hashed = make_password(content.PASSWORD)
    staff_joined = local_to_utc(
        world.first_day("soho") - dt.timedelta(days=540), dt.time(9, 0), "America/New_York"
    )
    users: list[User] = []
    members: list[Membership] = []
    joined: list[tuple[Membership, dt.datetime]] = []
    scopes: list[tuple[Membership, tuple[str, ...]]] = []
    for number, spec in enumerate(content.STAFF):
        studio = world.specs[spec.studios[0] if spec.studios else "soho"]
        user = User(
            email=email_for(spec.email_local),
            name=spec.name,
            phone=phone_number(studio.phone_prefix, 9000 + number),
            password=hashed,
            date_joined=staff_joined,
        )
        member = Membership(
            user=user, organization=world.organization, role=spec.role, bio=spec.bio
        )
        users.append(user)
        members.append(member)
        joined.append((member, staff_joined))
        scopes.append((member, spec.studios))
        world.staff[spec.email_local] = member
        if spec.role == Role.INSTRUCTOR:
            world.instructors.append((member, spec))

    used_names = {spec.name for spec in content.STAFF}
    for index in range(content.CLIENT_COUNT):
        plan = _plan_client(world, index, used_names, hashed)
        users.append(plan.user)
        members.append(plan.membership)
        joined.append((plan.membership, plan.joined_at))
        world.clients.append(plan)

    User.objects.bulk_create(users)
    Membership.objects.bulk_create(members)
    Through = Membership.studios.through
    Through.objects.bulk_create(
        Through(membership=member, studio=world.studios[key])
        for member, keys in scopes
        for key in keys
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    # Clients who take texts confirmed their number when they joined (texts are on only
    # with a confirmed number, PHX-23); without a provider, texts go to the console log.
    RecipientSettings.objects.bulk_create(
        RecipientSettings(user=user, sms_phone=user.phone, sms_confirmed_at=user.date_joined)
        for user in users
        if user.notify_sms
    )
    return joined


def _plan_client(world: World, index: int, used_names: set[str], hashed: str) -> ClientPlan:
    rng = world.rng
    if index == 0:
        name, local_part, home, persona = content.DEMO_CLIENT_NAME, "client", "soho", "demo"
    else:
        while True:
            first, last = rng.choice(content.FIRST_NAMES), rng.choice(content.LAST_NAMES)
            name = f"{first} {last}"
            if name not in used_names:
                break
        local_part = f"{ascii_slug(first)}.{ascii_slug(last)}.{index}"
        home = rng.choices(
            list(content.HOME_STUDIO_WEIGHTS), weights=list(content.HOME_STUDIO_WEIGHTS.values())
        )[0]
        persona = rng.choices(list(PERSONAS), weights=list(PERSONAS.values()))[0]
    used_names.add(name)
    spec = world.specs[home]
    weights = {home: 1.0}
    if spec.region == "nyc" and rng.random() < 0.25:
        weights["brooklyn" if home == "soho" else "soho"] = 0.35

    first_day, today = world.first_day(home), world.today[home]
    if index == 0:
        joined_day = first_day - dt.timedelta(days=30)
    elif rng.random() < 0.75:
        joined_day = first_day - dt.timedelta(days=rng.randint(10, 400))
    else:
        joined_day = first_day + dt.timedelta(days=rng.randint(0, content.PAST_DAYS - 14))
    joined_at = local_to_utc(
        joined_day, dt.time(rng.randint(8, 20), rng.randint(0, 59)), spec.time_zone
    )
    churn_at = None
    if index and rng.random() < 0.1:
        earliest = max(joined_day, first_day) + dt.timedelta(days=30)
        if earliest < today - dt.timedelta(days=10):
            span = (today - dt.timedelta(days=10) - earliest).days
            churn_day = earliest + dt.timedelta(days=rng.randint(0, span))
            churn_at = local_to_utc(churn_day, dt.time(0, 0), spec.time_zone)
    low, high = WEEKLY.get(persona, (1.0, 1.0))
    user = User(
        email=email_for(local_part),
        name=name,
        phone=phone_number(spec.phone_prefix, 100 + index),
        password=hashed,
        date_joined=joined_at,
        notify_sms=rng.random() < 0.3,
        notify_promotional_email=rng.random() < 0.4,
    )
    return ClientPlan(
        index=index,
        user=user,
        membership=Membership(user=user, organization=world.organization, role=Role.CLIENT),
        region=spec.region,
        time_zone=spec.time_zone,
        studio_weights=weights,
        persona=persona,
        weekly=round(rng.uniform(low, high), 2),
        prefers=rng.choices(("morning", "midday", "evening"), weights=(0.4, 0.15, 0.45))[0],
        joined_at=joined_at,
        churn_at=churn_at,
    )


def create_profiles(world: World) -> None:
    """After the bookings are planned: the no-show strikes come from the history."""
    ClientProfile.objects.bulk_create(_profile(world, plan) for plan in world.clients)


def _birth_date(world: World, plan: ClientPlan) -> dt.date | None:
    """Most clients gave a birth date; one in twelve has a birthday within three days of
    the demo's day, so the roster shows birthday flags. Drawn from a generator of its own
    so the rest of the demo stays the same draw for draw."""
    rng = random.Random(f"birthday-{plan.index}")
    if rng.random() < 0.25:
        return None
    today = world.now.date()
    if plan.index % 12 == 5:
        day = today + dt.timedelta(days=rng.randint(-3, 3))
    else:
        day = today + dt.timedelta(days=rng.randint(0, 364))
    return birthday_in(day, day.year - rng.randint(22, 65))


def _profile(world: World, plan: ClientPlan) -> ClientProfile:
    rng = world.rng
    profile = ClientProfile(
        organization=world.organization,
        membership=plan.membership,
        no_show_strikes=plan.strikes,
    )
    profile.birth_date = _birth_date(world, plan)
    if plan.index == 0:
        profile.emergency_contact_name = "James Bennett"
        profile.emergency_contact_phone = "+12125550199"
        profile.health_notes = "Mild scoliosis; prefers side-lying work on the left."
        return profile
    if rng.random() < 0.6:
        first, last = rng.choice(content.FIRST_NAMES), plan.user.name.split(" ", 1)[1]
        profile.emergency_contact_name = f"{first} {last}"
        prefix = plan.user.phone[: len(plan.user.phone) - 4]
        profile.emergency_contact_phone = f"{prefix}{rng.randint(0, 9999):04d}"
    if rng.random() < 0.12:
        profile.health_notes = rng.choice(content.HEALTH_NOTES)
    return profile
