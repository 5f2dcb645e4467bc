"""Setup pages: each form calls its action; refused input renders clearly and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reformer.billing.models import PackageProduct
from reformer.core.models import AuditEvent
from reformer.scheduling.models import ClassType
from reformer.studios.models import Closure, Room, Spot, Studio, StudioPolicy
from tests import factories
from tests.factories import make_session

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_it_ticks_off_the_onboarding_checklist(login_as, db):
    org = factories.OrganizationFactory()
    owner = factories.MembershipFactory(organization=org, role="owner")
    client = login_as(owner)
    steps = client.get(reverse("staff:dashboard")).context["steps"]
    assert [s.key for s in steps] == [
        "studio",
        "room",
        "class_type",
        "product",
        "class",
        "instructor",
    ]
    assert not any(s.done for s in steps)
    studio = factories.StudioFactory(organization=org)
    factories.SpotFactory(room=factories.RoomFactory(studio=studio))
    response = client.get(reverse("staff:dashboard"))
    done = {s.key for s in response.context["steps"] if s.done}
    assert done == {"studio", "room"}
    assert "2 of 6 done" in response.content.decode()


def test_it_saves_the_organizations_branding(world, login_as):
    client = login_as(world.a.owner)
    response = client.post(
        reverse("staff:organization"),
        {
            "name": "Alpha Pilates",
            "time_zone": "Europe/London",
            "brand_colour": "#aa3355",
            "public_description": "Reformer classes by the sea.",
            "logo": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    org = world.a.organization
    org.refresh_from_db()
    assert (org.name, org.brand_colour, org.time_zone) == (
        "Alpha Pilates",
        "#aa3355",
        "Europe/London",
    )
    assert org.logo.name.startswith("logos/")
    org.logo.delete(save=False)


def test_it_refuses_a_bad_colour_and_changes_nothing(world, login_as):
    client = login_as(world.a.owner)
    response = client.post(
        reverse("staff:organization"),
        {"name": "New name", "time_zone": "Europe/London", "brand_colour": "red"},
    )
    assert response.status_code == 422
    assert "Use a colour like #3b6e8f." in response.content.decode()
    world.a.organization.refresh_from_db()
    assert world.a.organization.name == "Alpha"


def test_it_adds_a_studio_with_its_default_policy(world, login_as):
    client = login_as(world.a.owner)
    response = client.post(
        reverse("staff:studios"),
        {"name": "Harbour", "address": "2 Quay", "time_zone": "Europe/Dublin"},
    )
    studio = Studio.objects.get(name="Harbour")
    assert response["Location"] == reverse("staff:studio", args=[studio.pk])
    assert StudioPolicy.objects.filter(studio=studio).exists()


def test_it_refuses_a_duplicate_studio_name(world, login_as):
    client = login_as(world.a.owner)
    response = client.post(
        reverse("staff:studios"),
        {"name": world.a.studio.name.upper(), "address": "", "time_zone": "Europe/Dublin"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["name"]
    assert Studio.objects.filter(organization=world.a.organization).count() == 2


def test_it_does_not_let_a_manager_add_studios(world, login_as):
    client = login_as(world.a.manager)
    response = client.post(
        reverse("staff:studios"), {"name": "Mine", "address": "", "time_zone": "Europe/Dublin"}
    )
    assert response.status_code == 403
    assert not Studio.objects.filter(name="Mine").exists()


def test_it_sets_opening_hours_and_closes_empty_days(world, login_as):
    client = login_as(world.a.manager)
    data = {f"open_{d}": "07:00" for d in range(5)} | {f"close_{d}": "20:30" for d in range(5)}
    response = client.post(reverse("staff:studio_hours", args=[world.a.studio.pk]), data)
    assert response.status_code == 302
    world.a.studio.refresh_from_db()
    assert world.a.studio.opening_hours == {str(d): ["07:00", "20:30"] for d in range(5)}


def test_a_12_hour_clock_organization_keeps_its_hours_through_the_form(world, login_as):
    # A US organization shows "7:00 AM"; its hours used to be stored that way, so the form
    # came back empty and saving it again closed the studio every day.
    world.a.organization.locale = ""
    world.a.organization.time_zone = "America/New_York"
    world.a.organization.save(update_fields=["locale", "time_zone"])
    client = login_as(world.a.owner)
    url = reverse("staff:studio_hours", args=[world.a.studio.pk])
    week = {f"open_{d}": "07:00" for d in range(6)} | {f"close_{d}": "20:00" for d in range(6)}
    assert client.post(url, week).status_code == 302
    world.a.studio.refresh_from_db()
    assert world.a.studio.opening_hours == {str(d): ["07:00", "20:00"] for d in range(6)}
    page = client.get(reverse("staff:studio", args=[world.a.studio.pk]))
    form = page.context["hours_form"]
    shown = {name: form[name].value() for name in week}
    assert all(str(value).startswith(week[name]) for name, value in shown.items()), shown
    assert 'value="07:00"' in page.content.decode()
    # Saving what the page shows changes nothing.
    resubmit = {name: str(value)[:5] for name, value in shown.items()}
    assert client.post(url, resubmit).status_code == 302
    world.a.studio.refresh_from_db()
    assert world.a.studio.opening_hours == {str(d): ["07:00", "20:00"] for d in range(6)}


def test_a_12_hour_clock_organization_stores_special_hours_as_hh_mm(world, login_as):
    world.a.organization.locale = "en-US"
    world.a.organization.save(update_fields=["locale"])
    client = login_as(world.a.owner)
    day = dt.date.today() + dt.timedelta(days=20)
    url = reverse("staff:studio_special_hours", args=[world.a.studio.pk])
    client.post(url, {"date": day.isoformat(), "opens": "08:00", "closes": "13:30"})
    world.a.studio.refresh_from_db()
    assert world.a.studio.special_hours == {day.isoformat(): ["08:00", "13:30"]}
    page = client.get(reverse("staff:studio", args=[world.a.studio.pk])).content.decode()
    assert "8:00\N{NO-BREAK SPACE}AM\N{EN DASH}1:30\N{NO-BREAK SPACE}PM" in page


def test_the_migration_turns_stored_12_hour_times_back_into_hh_mm(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "reformer.studios.migrations.0003_opening_hours_canonical_clock"
    )
    studio = world.a.studio
    studio.opening_hours = {
        "0": ["7:00\xa0AM", "8:00\xa0PM"],
        "1": ["12:30 PM", "12:00 AM"],
        "2": ["06:00", "21:00"],
    }
    studio.special_hours = {"2030-01-02": ["9:15\u202fam", "11:45\xa0PM"], "2030-01-03": []}
    studio.save(update_fields=["opening_hours", "special_hours"])
    migration.forwards(apps, None)
    studio.refresh_from_db()
    assert studio.opening_hours == {
        "0": ["07:00", "20:00"],
        "1": ["12:30", "00:00"],
        "2": ["06:00", "21:00"],
    }
    assert studio.special_hours == {"2030-01-02": ["09:15", "23:45"], "2030-01-03": []}


def test_it_refuses_closing_before_opening(world, login_as):
    client = login_as(world.a.owner)
    before = world.a.studio.opening_hours
    response = client.post(
        reverse("staff:studio_hours", args=[world.a.studio.pk]),
        {"open_0": "20:00", "close_0": "07:00"},
    )
    assert response.status_code == 422
    assert "must be before closing time" in response.content.decode()
    world.a.studio.refresh_from_db()
    assert world.a.studio.opening_hours == before


def test_it_sets_special_hours_and_clears_them(world, login_as):
    client = login_as(world.a.owner)
    day = dt.date.today() + dt.timedelta(days=20)
    url = reverse("staff:studio_special_hours", args=[world.a.studio.pk])
    client.post(url, {"date": day.isoformat(), "opens": "10:00", "closes": "14:00"})
    world.a.studio.refresh_from_db()
    assert world.a.studio.special_hours == {day.isoformat(): ["10:00", "14:00"]}
    client.post(
        reverse("staff:studio_special_hours_clear", args=[world.a.studio.pk, day.isoformat()])
    )
    world.a.studio.refresh_from_db()
    assert world.a.studio.special_hours == {}


def test_it_adds_and_removes_a_closure(world, login_as):
    client = login_as(world.a.owner)
    day = dt.date.today() + dt.timedelta(days=30)
    client.post(
        reverse("staff:studio_closure_add", args=[world.a.studio.pk]),
        {"date": day.isoformat(), "reason": "Holiday"},
    )
    closure = Closure.objects.get(studio=world.a.studio)
    assert closure.reason == "Holiday"
    page = client.get(reverse("staff:studio", args=[world.a.studio.pk])).content.decode()
    assert "Holiday" in page
    client.post(reverse("staff:closure_remove", args=[closure.pk]))
    assert not Closure.objects.filter(pk=closure.pk).exists()


def test_it_refuses_a_closure_on_a_day_with_classes(world, login_as):
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=3))
    day = session.starts_at.astimezone(zoneinfo.ZoneInfo(world.a.studio.time_zone)).date()
    response = login_as(world.a.owner).post(
        reverse("staff:studio_closure_add", args=[world.a.studio.pk]), {"date": day.isoformat()}
    )
    assert response.status_code == 422
    assert "Cancel the 1 class on that day first." in response.content.decode()
    assert not Closure.objects.exists()


def test_it_saves_the_booking_policy(world, login_as):
    client = login_as(world.a.manager)
    data = {
        "booking_window_days": 21,
        "cancellation_window_hours": 24,
        "late_cancel_rule": "refund",
        "check_in_window_minutes": 30,
        "no_show_grace_minutes": 5,
        "strike_count": 2,
        "strike_period_days": 14,
        "suspension_days": 3,
        "waitlist_mode": "off",
        "waitlist_cutoff_minutes": 90,
        "max_upcoming_bookings": 4,
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "07:30",
    }
    response = client.post(reverse("staff:studio_policy", args=[world.a.studio.pk]), data)
    assert response.status_code == 302
    policy = StudioPolicy.objects.get(studio=world.a.studio)
    assert (policy.booking_window_days, policy.waitlist_mode, policy.max_upcoming_bookings) == (
        21,
        "off",
        4,
    )
    assert (policy.quiet_hours_start, policy.quiet_hours_end) == (dt.time(21), dt.time(7, 30))


def test_it_refuses_half_a_quiet_hours_window(world, login_as):
    policy = StudioPolicy.objects.get(studio=world.a.studio)
    data = {
        name: getattr(policy, name)
        for name in (
            "booking_window_days",
            "cancellation_window_hours",
            "late_cancel_rule",
            "check_in_window_minutes",
            "no_show_grace_minutes",
            "strike_count",
            "strike_period_days",
            "suspension_days",
            "waitlist_mode",
            "waitlist_cutoff_minutes",
            "max_upcoming_bookings",
        )
    }
    data["quiet_hours_start"] = "21:00"
    response = login_as(world.a.owner).post(
        reverse("staff:studio_policy", args=[world.a.studio.pk]), data
    )
    assert response.status_code == 422
    assert "Give both a start and an end for quiet hours" in response.content.decode()
    assert StudioPolicy.objects.get(studio=world.a.studio).quiet_hours_start is None


def test_it_refuses_an_out_of_range_policy(world, login_as):
    data = {
        "booking_window_days": 999,
        "cancellation_window_hours": 24,
        "late_cancel_rule": "refund",
        "check_in_window_minutes": 30,
        "no_show_grace_minutes": 5,
        "strike_count": 2,
        "strike_period_days": 14,
        "suspension_days": 3,
        "waitlist_mode": "off",
        "waitlist_cutoff_minutes": 90,
        "max_upcoming_bookings": 4,
    }
    response = login_as(world.a.owner).post(
        reverse("staff:studio_policy", args=[world.a.studio.pk]), data
    )
    assert response.status_code == 422
    assert "between 1 and 365" in response.content.decode()
    assert StudioPolicy.objects.get(studio=world.a.studio).booking_window_days == 14


def test_it_adds_a_room_and_saves_its_layout(world, login_as):
    client = login_as(world.a.manager)
    response = client.post(
        reverse("staff:room_create", args=[world.a.studio.pk]),
        {"name": "Garden Room", "capacity": 6, "grid_columns": 3, "grid_rows": 2},
    )
    room = Room.objects.get(name="Garden Room")
    assert response["Location"] == reverse("staff:room", args=[room.pk])
    layout = [
        {"label": "Reformer A", "row": 0, "column": 0},
        {"label": "Reformer B", "row": 1, "column": 2},
    ]
    response = client.post(
        reverse("staff:room_layout", args=[room.pk]), {"layout": json.dumps(layout)}
    )
    assert response.status_code == 302
    spots = list(Spot.objects.filter(room=room, active=True).order_by("row"))
    assert [(s.label, s.row, s.column) for s in spots] == [
        ("Reformer A", 0, 0),
        ("Reformer B", 1, 2),
    ]
    page = client.get(reverse("staff:room", args=[room.pk])).content.decode()
    assert "Reformer B" in page and 'data-columns="3"' in page


def test_it_refuses_a_layout_outside_the_grid_and_keeps_the_old_one(world, login_as):
    client = login_as(world.a.owner)
    before = list(
        Spot.objects.filter(room=world.a.room, active=True).values_list("label", flat=True)
    )
    response = client.post(
        reverse("staff:room_layout", args=[world.a.room.pk]),
        {"layout": json.dumps([{"label": "Far away", "row": 9, "column": 9}])},
    )
    assert response.status_code == 422
    assert "Column must be between" in response.content.decode()
    after = list(
        Spot.objects.filter(room=world.a.room, active=True).values_list("label", flat=True)
    )
    assert after == before


def test_it_refuses_an_unreadable_layout(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:room_layout", args=[world.a.room.pk]), {"layout": "not json"}
    )
    assert response.status_code == 422
    assert "could not be read" in response.content.decode()


def test_it_creates_edits_and_archives_class_types(world, login_as):
    client = login_as(world.a.manager)
    client.post(
        reverse("staff:class_types"),
        {"name": "Tower", "duration_minutes": 45, "default_capacity": 6, "colour": "#112233"},
    )
    tower = ClassType.objects.get(name="Tower")
    client.post(
        reverse("staff:class_type", args=[tower.pk]),
        {"name": "Tower Flow", "duration_minutes": 55, "default_capacity": 6, "colour": "#112233"},
    )
    tower.refresh_from_db()
    assert (tower.name, tower.duration_minutes) == ("Tower Flow", 55)
    client.post(reverse("staff:class_type_active", args=[tower.pk]), {"active": "0"})
    tower.refresh_from_db()
    assert not tower.active


def test_it_refuses_a_duplicate_class_type(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:class_types"),
        {
            "name": "reformer flow",
            "duration_minutes": 45,
            "default_capacity": 6,
            "colour": "#112233",
        },
    )
    assert response.status_code == 422
    assert "already a class type called" in response.content.decode()
    assert ClassType.objects.filter(organization=world.a.organization).count() == 1


def test_it_creates_a_package_and_audits_it(world, login_as):
    client = login_as(world.a.owner)
    response = client.post(
        reverse("staff:products"),
        {
            "name": "5-Class Pack",
            "kind": "class_pack",
            "credits": 5,
            "validity_days": 60,
            "price": "110.00",
            "currency": "usd",
        },
    )
    assert response.status_code == 302
    product = PackageProduct.objects.get(name="5-Class Pack")
    assert (product.credits, product.currency, str(product.price)) == (5, "USD", "110.00")
    assert AuditEvent.objects.filter(code="billing.product.created", subject_id=product.pk).exists()


def test_it_refuses_a_class_pack_without_credits(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:products"),
        {
            "name": "Pack",
            "kind": "class_pack",
            "validity_days": 60,
            "price": "10",
            "currency": "USD",
        },
    )
    assert response.status_code == 422
    assert "needs at least 1 credit" in response.content.decode()
    assert not PackageProduct.objects.exists()


def test_it_edits_and_withdraws_a_package(world, login_as):
    product = factories.PackageProductFactory(organization=world.a.organization, name="Ten")
    client = login_as(world.a.owner)
    client.post(
        reverse("staff:product", args=[product.pk]),
        {
            "name": "Unlimited Month",
            "kind": "unlimited",
            "credits": 10,
            "validity_days": 30,
            "price": "199",
            "currency": "USD",
        },
    )
    product.refresh_from_db()
    assert (product.name, product.kind, product.credits) == ("Unlimited Month", "unlimited", None)
    client.post(reverse("staff:product_active", args=[product.pk]), {"active": "0"})
    product.refresh_from_db()
    assert not product.active


def test_it_hides_another_organizations_package(world, login_as):
    product = factories.PackageProductFactory(organization=world.b.organization)
    client = login_as(world.a.owner)
    assert client.get(reverse("staff:product", args=[product.pk])).status_code == 404
    response = client.post(reverse("staff:product_active", args=[product.pk]), {"active": "0"})
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.active


def test_it_refuses_a_closure_at_the_end_of_the_calendar(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:studio_closure_add", args=[world.a.studio.pk]),
        {"date": "9999-12-31", "reason": "Forever"},
    )
    assert response.status_code == 422
    assert not Closure.objects.exists()


def test_the_opening_hours_table_scrolls_inside_its_card_on_a_phone(world, login_as):
    client = login_as(world.a.owner)
    page = client.get(reverse("staff:studio", args=[world.a.studio.pk])).content.decode()
    assert '<div class="table-wrap"><table class="table hours-table">' in page
