"""Every email's footer (PHX-22): the studio the message is about (the class's for class
emails, the payment's for receipts, the membership's for renewals), else the
organization's own (its only studio's, or no street address at all: never one studio picked
at random); and a "Choose which emails you get" link that opens the preferences page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from reformer.billing.models import Payment, Subscription
from reformer.billing.notices import queue_package_granted
from reformer.bookings.notify import queue_class_email
from reformer.notifications import sms_consent
from reformer.notifications.actions import render_message
from reformer.notifications.models import Message
from reformer.notifications.rendering import branding, clear_branding_cache
from reformer.payments import notices
from tests import factories

LONDON = "41 Great Eastern Street, London EC2A 3HY"
SOHO = "142 Spring Street, New York, NY 10012"


@pytest.fixture
def harbour(world, settings):
    """world.a with a London studio (the lowest pk) and a SoHo one."""
    settings.SITE_URL = "http://testserver"
    tenant = world.a
    tenant.studio.address, tenant.studio.name = LONDON, "Harbour Shoreditch"
    tenant.studio.save()
    tenant.other_studio.address, tenant.other_studio.name = SOHO, "Harbour SoHo"
    tenant.other_studio.save()
    assert tenant.studio.pk < tenant.other_studio.pk
    clear_branding_cache()
    return tenant


def _rendered(message: Message) -> tuple[str, str]:
    message.refresh_from_db()
    return render_message(message)


def test_the_preferences_link_opens_the_notifications_tab(harbour, client):
    url = branding(harbour.organization)["preferences_url"]
    assert url == "http://testserver/me/?tab=notifications"
    client.force_login(harbour.client.user)
    page = client.get(url.removeprefix("http://testserver"))
    assert page.status_code == 200  # the old link was the form's POST-only URL: 405
    assert page.context["tab"] == "notifications"


def test_an_organization_wide_email_names_no_studio_of_several(harbour):
    assert branding(harbour.organization)["address"] == ""
    package = factories.ClientPackageFactory(client=harbour.client)
    text, html = _rendered(queue_package_granted(package))
    assert harbour.organization.name in text
    assert LONDON not in text + html and SOHO not in text + html


def test_an_organization_with_one_studio_signs_with_its_address(harbour):
    harbour.other_studio.active = False
    harbour.other_studio.save()
    assert branding(harbour.organization)["address"] == LONDON


def test_a_receipt_carries_the_address_of_the_studio_that_sold(harbour):
    product = factories.PackageProductFactory(organization=harbour.organization, name="10 Pack")
    payment = Payment.objects.create(
        organization=harbour.organization,
        studio=harbour.other_studio,
        client=harbour.client,
        product=product,
        amount=Decimal("150.00"),
        status=Payment.Status.SUCCEEDED,
        method=Payment.Method.CASH,
        created_at=timezone.now(),
        paid_at=timezone.now(),
    )
    notices.queue_receipt(payment)
    text, html = _rendered(Message.objects.get(kind="payment_receipt"))
    assert SOHO in text and SOHO in html
    assert LONDON not in text and LONDON not in html


def _membership(harbour, name: str) -> Subscription:
    product = factories.PackageProductFactory(
        organization=harbour.organization, name=name, kind="membership"
    )
    return Subscription.objects.create(
        organization=harbour.organization,
        studio=harbour.other_studio,
        client=harbour.client,
        product=product,
        amount=Decimal("120.00"),
        status=Subscription.Status.PAST_DUE,
        grace_until=factories.next_start(7),
    )


@pytest.mark.parametrize(
    ("product", "says"),
    [
        ("8 per Month Membership", "your 8 per Month Membership did not go through"),
        ("Unlimited Monthly", "your Unlimited Monthly membership did not go through"),
    ],
)
def test_a_failed_renewal_names_the_membership_once_and_links_to_the_card(harbour, product, says):
    notices.queue_renewal_failed(_membership(harbour, product), invoice_id="in_1")
    text, html = _rendered(Message.objects.get(kind="renewal_failed"))
    assert says in text
    assert "Membership membership" not in text and "Membership membership" not in html
    assert "Update your card: http://testserver/payments/" in text
    assert 'href="http://testserver/payments/"' in html
    assert SOHO in text and LONDON not in text


def test_a_class_email_carries_the_address_of_the_class_studio(harbour):
    session = factories.make_session(harbour, studio=harbour.other_studio)
    message = queue_class_email(
        "booking_confirmed", session=session, client=harbour.client, key="c1"
    )
    text, html = _rendered(message)
    assert SOHO in text and SOHO in html and LONDON not in text and LONDON not in html


def test_the_sms_help_reply_names_no_studio_of_several(harbour):
    Message.objects.create(
        organization=harbour.organization,
        recipient=harbour.client.user,
        channel=Message.Channel.SMS,
        kind="class_reminder",
        idempotency_key="s1",
        to_address="+14155550123",
    )
    reply = sms_consent._reply("help", "+14155550123")
    assert reply.startswith(f"{harbour.organization.name}:")
    assert LONDON not in reply and SOHO not in reply
