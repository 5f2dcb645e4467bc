"""Tenancy matrix rows for messaging (see tests/tenancy.py)."""

from __future__ import annotations

from reformer.notifications import configuration, queries
from reformer.notifications.actions import queue_email
from tests.tenancy import OWN, QUERY, register

OWNER = {"owner"}
DESK = {"owner", "manager", "front_desk"}


def a_message(world) -> dict:
    message = queue_email(
        world.a.client.user,
        "booking_confirmed",
        "Booked",
        "Body",
        "tenancy-message",
        world.a.organization,
    )
    return {"message": message}


@register(allowed=OWNER, other_tenant=OWN)
def save_organization_messaging(actor, ctx):
    return configuration.save_organization_messaging(
        actor, sender_name="Front Desk", reply_to="desk@example.com", contact_phone=""
    )


@register(allowed=OWNER)
def save_reminder_plan(actor, ctx):
    return configuration.save_reminder_plan(
        actor, ctx.a.studio, [{"hours": 12, "channel": "email"}]
    )


@register(allowed=OWNER, other_tenant=OWN)
def send_test_email(actor, ctx):
    return configuration.send_test(actor, "email")


@register(allowed=DESK, other_tenant=OWN, kind=QUERY, setup=a_message)
def message_log(actor, ctx):
    return queries.message_log(actor, queries.LogFilters())


@register(allowed=DESK, kind=QUERY, setup=a_message)
def message_detail(actor, ctx):
    return queries.message_detail(actor, ctx.message.pk)


@register(allowed=DESK, other_tenant=OWN, kind=QUERY)
def month_figures(actor, ctx):
    return [queries.month_figures(actor)]


@register(allowed=OWNER, other_tenant=OWN, kind=QUERY)
def provider_status(actor, ctx):
    return queries.provider_status(actor)


@register(allowed=OWNER, other_tenant=OWN, kind=QUERY)
def email_preview(actor, ctx):
    return [configuration.preview(actor, "class_reminder")]


def an_alert(world) -> dict:
    from reformer.core.models import AdminAlert

    AdminAlert.objects.create(
        organization=world.a.organization, code="notifications.delivery_failed", message="x"
    )
    return {}


@register(allowed=DESK, other_tenant=OWN, kind=QUERY, setup=an_alert)
def messaging_attention(actor, ctx):
    return queries.attention(actor)
