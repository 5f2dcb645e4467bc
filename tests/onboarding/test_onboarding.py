"""Waivers, health intake, intro offers and prerequisites, through the actions."""

from __future__ import annotations

import pytest

from reformer.appointments import actions as appointment_actions
from reformer.billing import actions as billing_actions
from reformer.billing.models import ClientPackage
from reformer.bookings import actions as booking_actions
from reformer.bookings.models import Booking
from reformer.core.errors import DomainError, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.onboarding import actions
from reformer.onboarding.intro import intro_offer_refusal
from reformer.onboarding.models import (
    Acceptance,
    Document,
    DocumentVersion,
    IntakeForm,
    IntroOffer,
    RequirementOverride,
)
from reformer.onboarding.readiness import readiness
from tests import factories
from tests.appointments import helpers as ah
from tests.bookings import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture
def client(tenant):
    member = helpers.make_client(tenant, "Nina")
    helpers.give_package(member, credits=5)
    return member


def test_a_document_with_no_text_is_refused_and_nothing_written(tenant):
    for body in ("", "   \n  ", None):
        with pytest.raises(DomainError) as error:
            actions.create_document(tenant.owner, title="Liability waiver", body=body)
        assert error.value.data["field"] == "body"
    with pytest.raises(PermissionDenied):
        actions.create_document(tenant.manager, title="Liability waiver", body="Text")
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


def test_waiver_before_the_first_booking_and_again_after_a_new_version(tenant, client):
    version = actions.create_document(tenant.owner, title="Liability waiver", body="Version one.")
    session = factories.make_session(tenant)
    with pytest.raises(DomainError) as error:
        booking_actions.book_session(client, session)
    assert error.value.code == "onboarding.waiver_required"
    assert "Liability waiver" in error.value.message
    with pytest.raises(DomainError) as error:
        actions.accept_document(client, version, signature="Nina", agreed=False)
    assert error.value.data["field"] == "agree"
    actions.accept_document(client, version, signature="Nina Simone", agreed=True)
    booking_actions.book_session(client, session)

    new = actions.publish_version(tenant.owner, version.document, body="Version two, stricter.")
    assert new.number == 2
    with pytest.raises(DomainError) as error:
        booking_actions.book_session(client, factories.make_session(tenant))
    assert error.value.code == "onboarding.waiver_required"
    assert "updated" in error.value.message
    with pytest.raises(DomainError) as error:  # the old version can't be accepted any more
        actions.accept_document(client, version, signature="Nina", agreed=True)
    assert error.value.code == "onboarding.version_outdated"
    accepted = actions.accept_document(client, new, signature="Nina Simone", agreed=True)
    assert accepted.text_seen == "Version two, stricter." and accepted.accepted_at
    assert Acceptance.objects.filter(client=client).count() == 2
    assert readiness(client).ready


def test_staff_booking_for_a_client_is_not_stopped_by_the_waiver(tenant, client):
    actions.create_document(tenant.owner, title="Terms", body="Be kind.")
    booking_actions.book_session(tenant.front_desk, factories.make_session(tenant), client=client)


def test_intake_required_then_updatable_and_validated(tenant, client):
    injuries = actions.add_question(
        tenant.owner, prompt="Any injuries?", kind="long", required=True
    )
    pregnant = actions.add_question(tenant.owner, prompt="Are you pregnant?", kind="yes_no")
    kind, _room, _spots = ah.setup_privates(tenant)
    with pytest.raises(DomainError) as error:
        appointment_actions.book_appointment(
            client,
            kind,
            studio=tenant.studio,
            instructor=tenant.instructor,
            starts_at=ah.at(tenant, hour=10),
        )
    assert error.value.code == "onboarding.intake_required"
    with pytest.raises(DomainError) as error:
        actions.submit_intake(client, {str(injuries.pk): "", str(pregnant.pk): "no"})
    assert error.value.data["field"] == f"q{injuries.pk}"
    with pytest.raises(DomainError):
        actions.submit_intake(client, {str(injuries.pk): "Knee", str(pregnant.pk): "maybe"})
    assert not IntakeForm.objects.exists()
    actions.submit_intake(client, {str(injuries.pk): "Left knee", str(pregnant.pk): "no"})
    form = actions.submit_intake(client, {str(injuries.pk): "Left knee (better)"})
    assert form.answers[str(injuries.pk)] == {
        "prompt": "Any injuries?",
        "answer": "Left knee (better)",
    }
    appointment_actions.book_appointment(
        client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )


def test_intake_is_seen_by_the_clients_instructor_and_studio_staff_only(world, client):
    tenant = world.a
    question = actions.add_question(tenant.owner, prompt="Injuries?", kind="short")
    actions.submit_intake(client, {str(question.pk): "Shoulder"})
    other_client = helpers.make_client(tenant, "Other")
    # Before any booking: the owner only (no studio of the client's yet).
    assert actions.intake_for(tenant.owner, client).answers
    for outsider in (tenant.manager, tenant.front_desk, tenant.instructor, other_client):
        with pytest.raises(PermissionDenied):
            actions.intake_for(outsider, client)
    booking_actions.book_session(tenant.front_desk, factories.make_session(tenant), client=client)
    for staff in (tenant.manager, tenant.front_desk, tenant.instructor):
        assert actions.intake_for(staff, client) is not None
    annex_desk = helpers.make_client(tenant, "Annex desk")
    annex_desk.role = "front_desk"
    annex_desk.save()
    annex_desk.studios.set([tenant.other_studio])
    with pytest.raises(PermissionDenied):
        actions.intake_for(annex_desk, client)
    from reformer.core.errors import NotFound

    with pytest.raises(NotFound):
        actions.intake_for(world.b.owner, client)


def test_intro_offer_once_and_only_for_first_timers(tenant):
    intro = factories.PackageProductFactory(
        organization=tenant.organization, name="Intro: 2 privates", credits=2
    )
    actions.set_intro_offer(tenant.owner, intro, True)
    fresh = helpers.make_client(tenant, "Fresh")
    assert intro_offer_refusal(fresh, intro) is None
    billing_actions.grant_package(tenant.owner, client=fresh, product=intro)
    with pytest.raises(DomainError) as error:
        billing_actions.grant_package(tenant.owner, client=fresh, product=intro)
    assert error.value.code == "intro.already_used"
    regular = helpers.make_client(tenant, "Regular")
    helpers.give_package(regular, credits=5)
    with pytest.raises(DomainError) as error:
        billing_actions.grant_package(tenant.owner, client=regular, product=intro)
    assert error.value.code == "intro.not_first_time"
    assert ClientPackage.objects.filter(client=regular).count() == 1
    assert IntroOffer.objects.get(product=intro).active


def test_prerequisites_refuse_explain_and_can_be_overridden_with_a_reason(tenant, client):
    intro_type = factories.ClassTypeFactory(
        organization=tenant.organization, name="Intro to Reformer"
    )
    actions.add_requirement(
        tenant.owner, tenant.class_type, kind="attended", required_class_type=intro_type
    )
    tag = actions.create_tag(tenant.owner, name="Cleared for jumpboard")
    actions.add_requirement(tenant.owner, tenant.class_type, kind="tag", tag=tag)
    session = factories.make_session(tenant)
    with pytest.raises(DomainError) as error:
        booking_actions.book_session(client, session)
    assert error.value.code == "booking.requirement_unmet"
    assert "Book an Intro to Reformer first" in error.value.message
    assert [u.kind for u in error.value.data["unmet"]] == ["attended", "tag"]
    with pytest.raises(DomainError):
        booking_actions.book_session(tenant.front_desk, session, client=client)
    with pytest.raises(DomainError):
        booking_actions.join_waitlist(client, session)
    with pytest.raises(PermissionDenied):  # instructors may not override
        booking_actions.book_session(
            tenant.instructor, session, client=client, override_reason="Knows it"
        )
    booking = booking_actions.book_session(
        tenant.front_desk, session, client=client, override_reason="Trained at our sister studio"
    )
    override = RequirementOverride.objects.get(booking=booking)
    assert override.reason == "Trained at our sister studio" and override.actor == tenant.front_desk
    assert "Intro to Reformer" in override.unmet
    assert AuditEvent.objects.filter(code="bookings.requirements.overridden").exists()
    assert Booking.objects.filter(client=client).count() == 1


def test_tag_and_private_requirements_are_met(tenant, client, time_machine):
    tag = actions.create_tag(tenant.owner, name="Level 2")
    actions.add_requirement(tenant.owner, tenant.class_type, kind="tag", tag=tag)
    actions.add_requirement(tenant.owner, tenant.class_type, kind="private")
    actions.grant_tag(tenant.instructor, client, tag, note="Solid footwork")
    kind, _room, _spots = ah.setup_privates(tenant)
    place = appointment_actions.book_appointment(
        client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, days=1, hour=10),
    )
    session = factories.make_session(tenant, starts_at=ah.at(tenant, days=2, hour=10))
    with pytest.raises(DomainError) as error:
        booking_actions.book_session(client, session)
    assert error.value.data["unmet"][0].way_there == "Book a private session first"
    time_machine.move_to(ah.at(tenant, days=1, hour=10))
    appointment_actions.mark_attendee(tenant.front_desk, place, "attended")
    booking_actions.book_session(client, session)
