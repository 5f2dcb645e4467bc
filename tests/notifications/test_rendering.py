"""Rendering many messages at once (`rendering.render_many`, used by batch sending): the
template is rendered once per kind and filled in per message, and what comes out is exactly
what rendering each message on its own gives, escaping included; a template that does more
than print a value falls back to rendering one by one."""

from __future__ import annotations

import copy

import pytest

from reformer.notifications.models import Message
from reformer.notifications.rendering import FALLBACK_BRAND, render, render_many
from tests import factories

BRAND = {**FALLBACK_BRAND, "name": "Harbour & Co", "preferences_url": "http://x/prefs/"}
AWKWARD = ["Flow & <Stretch>", 'Mat "Core"', "O'Brien's Barre", "Reformer Flow"]


def reminders(people, channel=Message.Channel.EMAIL, kind="class_reminder") -> list[Message]:
    return [
        Message(
            pk=1000 + i,
            recipient=person,
            channel=channel,
            kind=kind,
            idempotency_key=f"r{i}",
            to_address=person.email,
            subject=f"Reminder: {AWKWARD[i % 4]} tomorrow at 9:00",
            context={
                "class_name": AWKWARD[i % 4],
                "when": f"Tue 2 Jun, {9 + i % 3}:00",
                "lead_time": "tomorrow at 9:00",
                "duration_minutes": 50,
                "studio_name": "Harbour",
                "studio_address": "1 Quay St, Bristol",
                "room_name": f"Room {i % 3}",
                "instructor_name": "Ana",
                "spot": "",
                "reference": f"B{i:06d}",
                "map_url": "https://maps.example/?q=1+Quay",
                "booking_url": f"http://x/b/B{i:06d}/",
                "calendar_url": f"http://x/b/B{i:06d}.ics",
                "cancel_url": f"http://x/c/tok{i}?a=1&b=2" if i % 5 else "",
                "cancellation_text": "Free cancellation until 12 hours before.",
                "offset_hours": 24,
            },
        )
        for i, person in enumerate(people)
    ]


@pytest.fixture
def people(db):
    people = [factories.UserFactory(email=f"p{i}@example.com") for i in range(12)]
    people[1].name = "Zoë <script>alert(1)</script>"
    people[2].name = ""  # display_name falls back to the address
    return people


@pytest.mark.parametrize("channel", [Message.Channel.EMAIL, Message.Channel.SMS])
def test_many_at_once_come_out_exactly_as_one_by_one(people, channel):
    messages = reminders(people, channel)
    expected = [render(copy.copy(m), BRAND) for m in messages]
    render_many(messages, BRAND)
    assert [(m.body, m.html_body) for m in messages] == expected
    if channel == Message.Channel.EMAIL:
        assert "Zoë &lt;script&gt;" in messages[1].html_body
        assert "Flow &amp; &lt;Stretch&gt;" in messages[0].html_body
        assert "Flow & <Stretch>" in messages[0].body


def test_a_template_that_changes_a_value_is_rendered_one_by_one(people, settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["APP_DIRS"] = False
    templates[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.locmem.Loader",
            {
                "notifications/shout.txt": "{{ class_name|upper }} {{ reference|slice:':3' }}",
                "notifications/shout.html": "<b>{{ class_name|lower }}</b>",
            },
        ),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = templates
    messages = reminders(people, kind="shout")
    expected = [render(copy.copy(m), BRAND) for m in messages]
    render_many(messages, BRAND)
    assert [(m.body, m.html_body) for m in messages] == expected
    assert messages[0].body == "FLOW &amp; &lt;STRETCH&gt; B00"
