"""The front-door pages: each renders for the roles that may see it, flows post through the
actions, refusals show the message and write nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from reformer.appointments.models import Appointment, Attendee
from reformer.billing.models import ClientPackage
from reformer.onboarding import actions as onboarding
from reformer.onboarding.models import Acceptance, Document, IntakeForm, IntroOffer
from tests import factories
from tests.appointments import helpers as ah
from tests.bookings import helpers

pytestmark = pytest.mark.django_db


def login(member) -> Client:
    browser = Client()
    browser.force_login(member.user)
    return browser


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture
def private(tenant):
    kind, _room, _spots = ah.setup_privates(tenant)
    return kind


def test_client_pages_render(tenant, private):
    browser = login(tenant.client)
    for name, args in [
        ("frontdoor:welcome", []),
        ("frontdoor:privates", []),
        ("frontdoor:private_slots", [private.pk]),
        ("frontdoor:intake", []),
        ("client:dashboard", []),
    ]:
        response = browser.get(reverse(name, args=args))
        assert response.status_code == 200, name
    assert "Private 55" in browser.get(reverse("frontdoor:privates")).content.decode()


def test_staff_pages_render_for_their_roles(tenant, private):
    client = helpers.make_client(tenant, "Nora")
    helpers.give_package(client)
    from reformer.appointments import actions

    place = actions.book_appointment(
        tenant.front_desk,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
        client=client,
    )
    for role in ("owner", "manager", "front_desk"):
        browser = login(tenant.members[role])
        assert browser.get(reverse("frontdoor:staff_appointments")).status_code == 200
        assert (
            browser.get(reverse("frontdoor:staff_appointments") + f"?type={private.pk}").status_code
            == 200
        )
        detail = browser.get(reverse("frontdoor:staff_appointment", args=[place.appointment_id]))
        assert detail.status_code == 200 and "Nora" in detail.content.decode()
        assert browser.get(reverse("frontdoor:staff_client", args=[client.pk])).status_code == 200
        assert browser.get(reverse("staff:checkin")).status_code == 200
    week = login(tenant.owner).get(
        reverse("staff:schedule")
        + f"?studio={tenant.studio.pk}&week={ah.local_day(tenant).isoformat()}"
    )
    assert "Appointments this week" in week.content.decode() and "Nora" in week.content.decode()
    instructor = login(tenant.instructor)
    assert instructor.get(reverse("frontdoor:my_hours")).status_code == 200
    day = instructor.get(reverse("staff:instructor_dashboard")).content.decode()
    assert "My appointments" in day and "Nora" in day
    owner = login(tenant.owner)
    assert owner.get(reverse("frontdoor:setup_newcomers")).status_code == 200
    assert login(tenant.client).get(reverse("frontdoor:staff_appointments")).status_code == 403
    assert login(tenant.front_desk).get(reverse("frontdoor:setup_newcomers")).status_code == 403


def test_other_tenants_objects_are_not_found(world, private):
    tenant = world.a
    client = helpers.make_client(tenant, "Nora")
    helpers.give_package(client)
    from reformer.appointments import actions

    place = actions.book_appointment(
        tenant.front_desk,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
        client=client,
    )
    beta = login(world.b.owner)
    assert (
        beta.get(reverse("frontdoor:staff_appointment", args=[place.appointment_id])).status_code
        == 404
    )
    assert beta.get(reverse("frontdoor:staff_client", args=[client.pk])).status_code == 404
    beta_client = login(world.b.client)
    assert beta_client.get(reverse("frontdoor:private_slots", args=[private.pk])).status_code == 404


def test_the_newcomer_flow_through_the_views(tenant, private):
    version = onboarding.create_document(tenant.owner, title="Liability waiver", body="Be careful.")
    question = onboarding.add_question(
        tenant.owner, prompt="Any injuries?", kind="short", required=True
    )
    intro = factories.PackageProductFactory(
        organization=tenant.organization, name="Intro: 2 privates", credits=2
    )
    IntroOffer.objects.create(organization=tenant.organization, product=intro)
    newcomer = helpers.make_client(tenant, "Newbie")
    browser = login(newcomer)
    waiver_url = reverse("frontdoor:waiver", args=[version.pk])
    # Refusals keep the page and write nothing.
    response = browser.post(waiver_url, {"signature": "Newbie"})
    assert response.status_code == 422 and not Acceptance.objects.exists()
    assert browser.post(waiver_url, {"signature": "Newbie N", "agree": "yes"}).status_code == 302
    assert Acceptance.objects.get(client=newcomer).text_seen == "Be careful."
    response = browser.post(reverse("frontdoor:intake"), {f"q{question.pk}": ""})
    assert response.status_code == 422 and not IntakeForm.objects.exists()
    browser.post(reverse("frontdoor:intake"), {f"q{question.pk}": "Left knee"})
    assert IntakeForm.objects.filter(client=newcomer).exists()
    desk = login(tenant.manager)
    assert (
        desk.post(
            reverse("frontdoor:staff_client_sell", args=[newcomer.pk]), {"product": intro.pk}
        ).status_code
        == 302
    )
    again = desk.post(
        reverse("frontdoor:staff_client_sell", args=[newcomer.pk]), {"product": intro.pk}
    )
    assert again.status_code == 422 and "first-timers" in again.content.decode()
    assert ClientPackage.objects.filter(client=newcomer).count() == 1
    bad = browser.post(
        reverse("frontdoor:private_slots", args=[private.pk]),
        {"instructor": tenant.instructor.pk, "starts_at": "not a time"},
    )
    assert bad.status_code == 422 and not Appointment.objects.exists()
    outside = browser.post(
        reverse("frontdoor:private_slots", args=[private.pk]),
        {"instructor": tenant.instructor.pk, "starts_at": ah.at(tenant, hour=5).isoformat()},
    )
    assert outside.status_code == 409 and "not available" in outside.content.decode()
    booked = browser.post(
        reverse("frontdoor:private_slots", args=[private.pk]),
        {"instructor": tenant.instructor.pk, "starts_at": ah.at(tenant, hour=10).isoformat()},
    )
    assert booked.status_code == 302
    assert Attendee.objects.get(client=newcomer).credits_spent == 1
    dashboard = browser.get(reverse("client:dashboard")).content.decode()
    assert "Private sessions" in dashboard and "Private 55" in dashboard
    reference = Attendee.objects.get(client=newcomer).appointment.reference
    ics = browser.get(reverse("frontdoor:private_ics", args=[reference]))
    assert (
        ics.status_code == 200
        and b"BEGIN:VEVENT" in ics.content
        and reference.encode() in ics.content
    )
    assert (
        login(tenant.client).get(reverse("frontdoor:private_ics", args=[reference])).status_code
        == 404
    )


def test_setup_page_validates(tenant):
    owner = login(tenant.owner)
    response = owner.post(
        reverse("frontdoor:setup_newcomers"),
        {"action": "document_add", "title": "Waiver", "body": "   "},
    )
    assert response.status_code == 422 and not Document.objects.exists()
    ah.private_room(tenant)
    response = owner.post(
        reverse("frontdoor:setup_newcomers"),
        {"action": "type_add", "name": "Quartet", "capacity": "4", "equipment": "reformer"},
    )
    assert response.status_code == 422
    assert (
        owner.post(
            reverse("frontdoor:setup_newcomers"),
            {
                "action": "type_add",
                "name": "Duet",
                "capacity": "2",
                "equipment": "reformer",
                "instructors": [tenant.instructor.pk],
            },
        ).status_code
        == 302
    )


def test_the_desk_books_a_client_into_an_open_slot_without_script(tenant, private):
    """One radio button carries the slot's start and instructor (the page runs no inline
    script under the CSP); a slot that is not one falls back to a message, nothing written."""
    import html
    import re

    client = helpers.make_client(tenant, "Nora")
    helpers.give_package(client)
    desk = login(tenant.front_desk)
    day = ah.local_day(tenant)
    page = desk.get(
        reverse("frontdoor:staff_appointments")
        + f"?studio={tenant.studio.pk}&type={private.pk}&date={day.isoformat()}"
    ).content.decode()
    assert "<script>" not in page
    slot = html.unescape(re.findall(r'name="slot" value="([^"]+)"', page)[0])
    book = reverse("frontdoor:staff_appointment_book")
    fields = {"studio": tenant.studio.pk, "type": private.pk, "client": client.pk}

    refused = desk.post(book, {**fields, "slot": "tomorrow-ish|x"}, follow=True)
    assert "Pick a time from the open slots." in refused.content.decode()
    assert not Appointment.objects.exists()

    booked = desk.post(book, {**fields, "slot": slot}, follow=True)
    assert booked.status_code == 200 and "Booked Nora" in booked.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.instructor_id == int(slot.rpartition("|")[2])
    assert Attendee.objects.filter(appointment=appointment, client=client).exists()


def test_the_private_step_shows_only_when_needed_or_offered(tenant):
    """No privates and no prerequisite: no "then the group classes open up" step at all;
    privates offered: an optional step; a class asking for a private first: a real step."""
    from reformer.onboarding.models import ClassRequirement

    browser = login(tenant.client)
    url = reverse("frontdoor:welcome")
    page = browser.get(url).content.decode()
    assert "Book a private" not in page and "open up" not in page
    ah.setup_privates(tenant)
    page = browser.get(url).content.decode()
    assert "Book a private session (optional)" in page
    assert "Group classes are open to you now" in page
    ClassRequirement.objects.create(
        organization=tenant.organization, class_type=tenant.class_type, kind="private"
    )
    page = browser.get(url).content.decode()
    assert "(optional)" not in page and "Some classes ask for a private session first" in page


def test_a_done_intro_step_shows_done_not_a_refusal(tenant):
    intro = factories.PackageProductFactory(
        organization=tenant.organization, name="Intro: 2 classes", credits=2
    )
    IntroOffer.objects.create(organization=tenant.organization, product=intro)
    newcomer = helpers.make_client(tenant, "Newbie")
    helpers.give_package(newcomer)
    page = login(newcomer).get(reverse("frontdoor:welcome")).content.decode()
    assert "Done: you have" in page
    assert "intro-refusal" not in page
