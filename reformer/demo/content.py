"""The fixed content of the demo organization: places, people, classes, prices, timetable."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ORGANIZATION_NAME = "Harbour Pilates"
ORGANIZATION_SLUG = "harbour-pilates"
EMAIL_DOMAIN = "demo.reformer.test"
PASSWORD = "reformer-demo"

PAST_DAYS = 182  # six months of history
UPCOMING_DAYS = 28  # today and the next four weeks


@dataclass(frozen=True)
class RoomSpec:
    key: str
    name: str
    columns: int
    rows: int

    @property
    def spots(self) -> int:
        return self.columns * self.rows


@dataclass(frozen=True)
class StudioSpec:
    key: str
    name: str
    address: str
    time_zone: str
    region: str  # clients book within one region (one time zone)
    phone_prefix: str
    rooms: tuple[RoomSpec, ...]


WEEKDAY_HOURS = ["06:30", "21:00"]
OPENING_HOURS = {
    **{str(day): WEEKDAY_HOURS for day in range(5)},
    "5": ["08:00", "14:00"],
    "6": ["08:00", "13:00"],
}

STUDIOS = (
    StudioSpec(
        key="shoreditch",
        name="Harbour Pilates Shoreditch",
        address="41 Great Eastern Street, London EC2A 3HY, United Kingdom",
        time_zone="Europe/London",
        region="london",
        phone_prefix="+442079460",
        rooms=(
            RoomSpec("shoreditch-main", "Reformer Studio", columns=5, rows=2),
            RoomSpec("shoreditch-tower", "Tower Room", columns=4, rows=2),
        ),
    ),
    StudioSpec(
        key="soho",
        name="Harbour Pilates SoHo",
        address="142 Spring Street, New York, NY 10012, United States",
        time_zone="America/New_York",
        region="nyc",
        phone_prefix="+1212555",
        rooms=(
            RoomSpec("soho-main", "Main Studio", columns=4, rows=3),
            RoomSpec("soho-b", "Studio B", columns=4, rows=2),
        ),
    ),
    StudioSpec(
        key="brooklyn",
        name="Harbour Pilates Brooklyn",
        address="88 Wythe Avenue, Brooklyn, NY 11249, United States",
        time_zone="America/New_York",
        region="nyc",
        phone_prefix="+1718555",
        rooms=(RoomSpec("brooklyn-main", "Reformer Room", columns=5, rows=2),),
    ),
)


@dataclass(frozen=True)
class ClassTypeSpec:
    code: str  # used in the timetable below
    name: str
    duration: int
    capacity: int
    colour: str
    popularity: float
    description: str
    what_to_bring: str = "Grip socks (sold at the desk) and a water bottle; towels are here."


CLASS_TYPES = (
    ClassTypeSpec(
        code="F",
        name="Reformer Foundations",
        duration=50,
        capacity=12,
        colour="#3b6e8f",
        popularity=1.0,
        description=(
            "The essentials of reformer Pilates at a steady pace: footwork, alignment, breath and"
            " core control. Ideal if you are new to the reformer or returning after a break."
        ),
    ),
    ClassTypeSpec(
        code="R",
        name="Reformer Flow",
        duration=55,
        capacity=12,
        colour="#2f8f83",
        popularity=1.2,
        description=(
            "A flowing, full-body reformer class linking strength and mobility with smooth "
            "transitions. Some reformer experience recommended."
        ),
    ),
    ClassTypeSpec(
        code="J",
        name="Jumpboard",
        duration=45,
        capacity=12,
        colour="#d9822b",
        popularity=1.1,
        description=(
            "Low-impact cardio on the reformer jumpboard, alternating with strength intervals. "
            "Expect to sweat."
        ),
    ),
    ClassTypeSpec(
        code="T",
        name="Tower",
        duration=60,
        capacity=12,
        colour="#7a5195",
        popularity=0.9,
        description=(
            "Springs, push-through bar and roll-down bar: a tower class for deep core work, "
            "spinal articulation and shoulder stability."
        ),
    ),
    ClassTypeSpec(
        code="M",
        name="Mat",
        duration=45,
        capacity=12,
        colour="#5b8c5a",
        popularity=0.8,
        description=(
            "Classical mat Pilates with small props. Builds the control that makes reformer work "
            "easier."
        ),
    ),
    ClassTypeSpec(
        code="B",
        name="Barre",
        duration=50,
        capacity=12,
        colour="#c94f7c",
        popularity=1.0,
        description=(
            "Ballet-inspired strength and toning at the barre, finished with a Pilates mat "
            "sequence."
        ),
    ),
    ClassTypeSpec(
        code="P",
        name="Prenatal",
        duration=60,
        capacity=12,
        colour="#e0a458",
        popularity=0.6,
        description=(
            "Gentle reformer Pilates adapted for every trimester, focused on breath, pelvic floor"
            " and posture. Please tell your instructor how far along you are."
        ),
    ),
    ClassTypeSpec(
        code="X",
        name="Private",
        duration=55,
        capacity=1,
        colour="#444e5f",
        popularity=0.5,
        description=(
            "One-to-one session with an instructor, tailored to your goals, injuries or technique."
        ),
    ),
)


@dataclass(frozen=True)
class ProductSpec:
    key: str
    name: str
    kind: str
    credits: int | None
    validity_days: int
    price: Decimal
    weekly_limit: int | None
    description: str


PRODUCTS = (
    ProductSpec(
        key="drop_in",
        name="Drop-in",
        kind="class_pack",
        credits=1,
        validity_days=30,
        price=Decimal("38.00"),
        weekly_limit=None,
        description="A single class, valid for 30 days.",
    ),
    ProductSpec(
        key="pack_5",
        name="5-Class Pack",
        kind="class_pack",
        credits=5,
        validity_days=60,
        price=Decimal("175.00"),
        weekly_limit=None,
        description="Five classes to use within 60 days.",
    ),
    ProductSpec(
        key="pack_10",
        name="10-Class Pack",
        kind="class_pack",
        credits=10,
        validity_days=90,
        price=Decimal("320.00"),
        weekly_limit=None,
        description="Ten classes to use within 90 days: our best value pack.",
    ),
    ProductSpec(
        key="membership_8",
        name="8 per Month Membership",
        kind="membership",
        credits=8,
        validity_days=30,
        price=Decimal("229.00"),
        weekly_limit=2,
        description="Eight classes every month, up to two a week. Renews monthly.",
    ),
    ProductSpec(
        key="unlimited",
        name="Unlimited Monthly",
        kind="unlimited",
        credits=None,
        validity_days=30,
        price=Decimal("289.00"),
        weekly_limit=None,
        description="Unlimited classes at every Harbour Pilates studio. Renews monthly.",
    ),
)

# Weekly timetable per room: weekday (0 = Monday) -> "HH:MM code" entries (see CLASS_TYPES).
# Start times are spaced so that no class runs into the next one in the same room.
TIMETABLE: dict[str, dict[int, tuple[str, ...]]] = {
    "shoreditch-main": {
        0: ("07:00 R", "09:30 F", "17:30 R", "19:00 F"),
        1: ("07:00 J", "09:30 P", "17:30 F", "19:00 R"),
        2: ("07:00 R", "09:30 F", "12:00 M", "17:30 J", "19:00 R"),
        3: ("07:00 F", "09:30 R", "17:30 R", "19:00 B"),
        4: ("07:00 R", "09:30 F", "17:30 F"),
        5: ("08:30 F", "10:00 R", "11:30 J"),
        6: ("09:00 R", "10:30 M"),
    },
    "shoreditch-tower": {
        0: ("12:30 X", "18:15 T"),
        1: ("12:00 T",),
        2: ("08:15 T",),
        3: ("12:30 X", "18:15 T"),
        4: ("08:15 T",),
        5: ("10:00 B",),
    },
    "soho-main": {
        0: ("07:00 R", "09:30 F", "17:30 J", "19:00 R"),
        1: ("07:00 F", "09:30 R", "12:00 M", "17:30 R", "19:00 F"),
        2: ("07:00 J", "09:30 F", "17:30 F", "19:00 R"),
        3: ("07:00 R", "09:30 P", "12:00 F", "17:30 R", "19:00 J"),
        4: ("07:00 F", "09:30 R", "17:30 R"),
        5: ("08:30 R", "10:00 F", "11:30 J"),
        6: ("09:00 F", "10:30 R"),
    },
    "soho-b": {
        0: ("12:30 X",),
        1: ("08:15 T",),
        2: ("18:15 B",),
        3: ("12:30 X",),
        4: ("08:15 T",),
        5: ("09:15 B",),
    },
    "brooklyn-main": {
        0: ("07:00 F", "09:30 R", "18:00 R", "19:15 F"),
        1: ("07:00 R", "12:00 M", "18:00 F", "19:15 B"),
        2: ("07:00 F", "09:30 P", "18:00 R", "19:15 J"),
        3: ("07:00 J", "12:00 R", "18:00 F", "19:15 R"),
        4: ("07:00 R", "09:30 F", "18:00 R"),
        5: ("09:00 F", "10:30 R"),
        6: ("09:30 R",),
    },
}

# How much clients want a slot, by local start hour (early mornings and evenings fill up).
HOUR_POPULARITY = {7: 1.4, 8: 1.0, 9: 1.2, 10: 1.2, 11: 0.9, 12: 0.7, 17: 1.5, 18: 1.4, 19: 1.3}


@dataclass(frozen=True)
class StaffSpec:
    role: str
    name: str
    email_local: str
    studios: tuple[str, ...]
    bio: str = ""


STAFF = (
    StaffSpec("owner", "Rachel Morgan", "owner", ()),
    StaffSpec("manager", "David Okafor", "manager", ("soho", "brooklyn")),
    StaffSpec("front_desk", "Sofia Martinez", "frontdesk", ("soho",)),
    StaffSpec(
        "instructor",
        "Sarah Johnson",
        "instructor",
        ("soho", "brooklyn"),
        "Lead instructor. Classically trained, fifteen years on the reformer, former dancer.",
    ),
    StaffSpec(
        "instructor",
        "Maya Rodriguez",
        "maya.rodriguez",
        ("soho",),
        "Comprehensive Pilates teacher with a background in physical therapy.",
    ),
    StaffSpec(
        "instructor",
        "Daniel Kim",
        "daniel.kim",
        ("soho", "brooklyn"),
        "Strength coach turned Pilates instructor; loves a tough jumpboard class.",
    ),
    StaffSpec(
        "instructor",
        "Aisha Williams",
        "aisha.williams",
        ("brooklyn",),
        "Prenatal and postnatal specialist, mother of two.",
    ),
    StaffSpec(
        "instructor",
        "Lauren Chen",
        "lauren.chen",
        ("soho", "brooklyn"),
        "Contemporary Pilates and barre; precise cueing and great playlists.",
    ),
    StaffSpec(
        "instructor",
        "Charlotte Hughes",
        "charlotte.hughes",
        ("shoreditch",),
        "Studio lead in Shoreditch. Polestar-trained, rehab and posture focus.",
    ),
    StaffSpec(
        "instructor",
        "James Whitaker",
        "james.whitaker",
        ("shoreditch",),
        "Former rugby player who found Pilates through a back injury.",
    ),
    StaffSpec(
        "instructor",
        "Priya Patel",
        "priya.patel",
        ("shoreditch",),
        "Tower and mat specialist; teaches the early classes.",
    ),
)

DEMO_CLIENT_NAME = "Olivia Bennett"
DEMO_CLIENT_EMAIL_LOCAL = "client"

CLIENT_COUNT = 300
# Share of clients per home studio (roughly the share of places each studio offers).
HOME_STUDIO_WEIGHTS = {"shoreditch": 0.36, "soho": 0.40, "brooklyn": 0.24}

# fmt: off
FIRST_NAMES = (
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Abigail", "Emily", "Ella", "Grace", "Chloe", "Lily", "Hannah", "Zoë", "Nora",
    "Lucy", "Aaliyah", "Maya", "Priya", "Ananya", "Mei", "Yuki", "Hana", "Fatima", "Amara",
    "Chiara", "Ingrid", "Freya", "Siobhán", "Aoife", "Niamh", "Camila", "Valentina", "Lucía",
    "Inès", "Léa", "Noémie", "Jasmine", "Naomi", "Rebecca", "Rachel", "Sarah", "Laura", "Jessica",
    "Megan", "Katie", "Holly", "Poppy", "Imogen", "Beatrice", "Rosie", "Alice", "Daniel", "James",
    "Michael", "David", "Oliver", "Noah", "Liam", "Ethan", "Lucas", "Mateo", "Kenji", "Arjun",
    "Omar", "Tomás", "Samuel", "Ben", "Tom", "Marcus",
)

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez",
    "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
    "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Collins", "Murphy",
    "O'Brien", "Kelly", "Walsh", "Byrne", "Nguyen", "Chen", "Wang", "Tanaka", "Sato", "Kim",
    "Park", "Patel", "Shah", "Singh", "Khan", "Ahmed", "Okafor", "Mensah", "Müller", "Schmidt",
    "Rossi", "Bianchi", "Dubois", "Moreau", "Novak", "Kowalski", "Jensen", "Larsen", "Fernández",
    "Silva", "Costa", "Hughes", "Bennett", "Price", "Fletcher",
)
# fmt: on

HEALTH_NOTES = (
    "Lower back pain: avoid deep spinal flexion.",
    "Recovering from a right knee arthroscopy.",
    "Pregnant, second trimester.",
    "Tight hamstrings; prefers modifications for the long box.",
    "Shoulder impingement on the left side.",
    "Osteopenia: no loaded spinal flexion.",
    "Postnatal, cleared by GP for exercise.",
)
