"""PHX-14: one rule for a person's default phone region (accounts.profile.default_region,
by their home studio: where they book), used by the profile and by turning texts on, with
the error's example in that region. A London client's "07911 123456" is the same number on
both tabs, though the organization's zone is New York."""

from __future__ import annotations

import pytest

from reformer.accounts import profile
from reformer.bookings import actions
from reformer.core.errors import DomainError
from reformer.notifications import sms_consent
from reformer.notifications.models import RecipientSettings
from tests import factories
from tests.bookings import helpers


@pytest.fixture
def london_first(world):
    """Tenant a (a New York organization) whose first studio is in London and whose other
    studio is in New York."""
    tenant = world.a
    assert tenant.organization.time_zone == "America/New_York"
    tenant.studio.time_zone = "Europe/London"
    tenant.studio.save()
    tenant.other_studio.time_zone = "America/New_York"
    tenant.other_studio.save()
    return tenant


def _client_of(tenant, name, studio):
    client = helpers.make_client(tenant, name)
    helpers.give_package(client, credits=5)
    actions.book_session(client, factories.make_session(tenant, studio=studio))
    return client


def test_a_london_clients_local_mobile_is_read_the_same_on_both_tabs(london_first):
    naomi = _client_of(london_first, "Naomi", london_first.studio)
    assert profile.default_region(naomi) == "GB"
    profile.update_profile(naomi.user, name="Naomi", phone="07911 123456", membership=naomi)
    assert naomi.user.phone == "+447911123456"

    sms_consent.start_opt_in(naomi.user, "07911 123456", organization=london_first.organization)
    assert RecipientSettings.objects.get(user=naomi.user).pending_phone == "+447911123456"


def test_a_new_york_client_is_read_in_the_us_though_the_first_studio_is_london(london_first):
    nick = _client_of(london_first, "Nick", london_first.other_studio)
    assert profile.default_region(nick) == "US"
    profile.update_profile(nick.user, name="Nick", phone="(415) 555-0123", membership=nick)
    assert nick.user.phone == "+14155550123"
    with pytest.raises(DomainError) as refused:
        sms_consent.start_opt_in(nick.user, "07911 1234", organization=london_first.organization)
    assert "e.g. +1 415 555 0123" in refused.value.message


def test_the_error_gives_an_example_from_the_persons_region(london_first):
    naomi = _client_of(london_first, "Naomi", london_first.studio)
    with pytest.raises(DomainError) as on_texts:
        sms_consent.start_opt_in(naomi.user, "12345", organization=london_first.organization)
    assert "e.g. +44 7" in on_texts.value.message
    with pytest.raises(DomainError) as on_profile:
        profile.update_profile(naomi.user, name="Naomi", phone="12345", membership=naomi)
    assert "e.g. +44 7" in on_profile.value.message
