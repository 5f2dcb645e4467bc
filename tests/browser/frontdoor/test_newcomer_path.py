"""The newcomer's whole path on a 390 px phone: sign up and join, accept the waiver, fill the
health form, see the intro offer's rule (sold at the desk), book a private, be checked in by
staff, then book the group class that required a private first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from reformer.accounts.models import Membership
from reformer.appointments.models import Attendee
from reformer.bookings.models import Booking
from reformer.onboarding import actions as onboarding
from reformer.onboarding.models import Acceptance, ClassRequirement, IntakeForm, IntroOffer
from tests import factories
from tests.appointments import helpers as ah

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_newcomer_path_on_a_phone(
    browser, live_url, login, world, assert_accessible, time_machine, clean_job_tables, mailoutbox
):
    tenant = world.a
    ah.setup_privates(tenant)
    onboarding.create_document(
        tenant.owner, title="Liability waiver", body="Pilates is exercise. Tell us about injuries."
    )
    onboarding.add_question(tenant.owner, prompt="Any injuries?", kind="long", required=True)
    onboarding.add_question(tenant.owner, prompt="Are you pregnant?", kind="yes_no")
    intro = factories.PackageProductFactory(
        organization=tenant.organization, name="Intro: 2 Privates", credits=2, price=99
    )
    IntroOffer.objects.create(organization=tenant.organization, product=intro)
    ClassRequirement.objects.create(
        organization=tenant.organization, class_type=tenant.class_type, kind="private"
    )
    group = factories.make_session(
        tenant, starts_at=ah.at(tenant, days=4, hour=9), instructor=tenant.owner
    )

    phone = browser.new_context(base_url=live_url, viewport=PHONE)
    phone.set_default_timeout(15_000)
    try:
        page = phone.new_page()
        # Sign up and join the studio.
        page.goto("/accounts/signup/")
        page.locator("input[name=name]").fill("Nina Newcomer")
        page.locator("input[name=email]").fill("nina@example.com")
        page.locator("input[name=password1]").fill("a-long-Secret-42")
        page.locator("input[name=password2]").fill("a-long-Secret-42")
        page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
        # The emailed link confirms the address and signs Nina in.
        expect(page.get_by_role("heading", name=re.compile("verify", re.I))).to_be_visible()
        link = re.search(r"(/accounts/confirm-email/\S+/)", mailoutbox[-1].body)[1]
        page.goto(link)
        page.get_by_role("button", name=re.compile("confirm", re.I)).click()
        page.goto("/o/alpha/")
        page.get_by_role("button", name=re.compile("Join")).click()
        # Not ready yet: home is "Getting started".
        expect(page.get_by_role("heading", name="Getting started", level=1)).to_be_visible()
        expect(page.get_by_text("For first-timers: one per person")).to_be_visible()
        assert_accessible(page)

        # 1. The waiver: refused without the tick, then signed.
        page.get_by_role("link", name=re.compile("Read and accept")).click()
        expect(page.get_by_text("Pilates is exercise.")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Accept and sign").click()
        expect(page.get_by_role("alert")).to_contain_text("Tick the box")
        page.get_by_label(re.compile("I have read")).check()
        page.get_by_role("button", name="Accept and sign").click()
        nina = Membership.objects.get(user__email="nina@example.com")
        assert Acceptance.objects.filter(client=nina).count() == 1

        # 2. The health form.
        page.get_by_role("link", name="Fill in the health form").click()
        page.get_by_label("Any injuries?").fill("Old left knee sprain")
        page.get_by_label("No", exact=True).check()
        assert_accessible(page)
        page.get_by_role("button", name="Save health form").click()
        expect(page.get_by_role("heading", name="Getting started", level=1)).to_be_visible()
        assert IntakeForm.objects.get(client=nina).answers

        # 3. The intro offer, sold at the desk (online payments are not there yet).
        manager = phone.browser.new_context(
            base_url=live_url, viewport={"width": 1280, "height": 900}
        )
        try:
            desk = manager.new_page()
            login(desk, tenant.owner.user)  # owners see every client's health form
            desk.goto(f"/staff/clients/{nina.pk}/")
            expect(desk.get_by_text("Old left knee sprain")).to_be_visible()
            desk.get_by_label(re.compile("Intro: 2 Privates")).check()
            desk.get_by_role("button", name="Sell").click()
            expect(desk.get_by_text("Intro: 2 Privates: 2 of 2 left")).to_be_visible()
        finally:
            manager.close()

        # 4. A private: pick a time.
        page.goto("/start-here/")
        page.get_by_role("link", name="Book a private").click()
        page.get_by_role("link", name=re.compile("See open times")).click()
        assert_accessible(page)
        target = ah.at(tenant, days=3, hour=10)
        page.locator(
            f"form:has(input[name=starts_at][value='{target.isoformat()}']) button"
        ).click()
        expect(page.get_by_role("heading", name="Private sessions")).to_be_visible()
        expect(page.locator("#dash-appointments")).to_contain_text("Private 55")
        place = Attendee.objects.get(client=nina)
        assert place.starts_at == target

        # The group class still says why and the way there.
        page.goto(f"/classes/{group.pk}/book/")
        expect(page.get_by_role("link", name="Book a private session first")).to_be_visible()
        expect(page.get_by_role("button", name="Confirm booking")).to_have_count(0)

        # 5. The private happens: the front desk checks Nina in.
        time_machine.move_to(target - dt.timedelta(minutes=10))
        desk_context = phone.browser.new_context(
            base_url=live_url, viewport={"width": 1280, "height": 900}
        )
        try:
            desk = desk_context.new_page()
            login(desk, tenant.front_desk.user)
            desk.goto("/staff/checkin/")
            row = desk.locator("tr", has_text="Nina Newcomer")
            row.get_by_role("button", name=re.compile("Check in")).click()
            expect(desk.get_by_text("Nina Newcomer checked in.")).to_be_visible()
        finally:
            desk_context.close()
        assert Attendee.objects.get(client=nina).status == "attended"

        # 6. Now the group class can be booked.
        page.goto(f"/classes/{group.pk}/book/")
        page.get_by_role("button", name="Confirm booking").click()
        expect(page.get_by_text("You're booked!")).to_be_visible()
        assert Booking.objects.get(session=group).client == nina
    finally:
        phone.close()
