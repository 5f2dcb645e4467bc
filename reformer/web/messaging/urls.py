"""Messaging pages, namespace "messaging":

/messages/...                 staff: the message log, one message, a client's messages
/messages/settings/...        owner: sender, reminder plans, providers, preview, test
/notifications/mine/...       the signed-in person's own message settings and texts opt-in
/reminders/cancel/<token>/    the one-click cancel link in reminders (signed)
/webhooks/twilio/...          Twilio status callbacks and inbound texts
"""

from __future__ import annotations

from django.urls import path

from reformer.core.permissions import VIEW_MESSAGES
from reformer.web import navigation
from reformer.web.messaging import cancel, context, log, my_messages, settings_views, webhooks

app_name = "messaging"

urlpatterns = [
    path("messages/", log.organization_log, name="log"),
    path("messages/<int:message_id>/", log.message_detail, name="message"),
    path("messages/clients/<int:membership_id>/", log.client_log, name="client_log"),
    path("messages/settings/", settings_views.settings_page, name="settings"),
    path("messages/settings/sender/", settings_views.save_sender, name="save_sender"),
    path(
        "messages/settings/reminders/<int:studio_id>/", settings_views.save_plan, name="save_plan"
    ),
    path("messages/settings/preview/", settings_views.preview, name="preview"),
    path("messages/settings/test/", settings_views.send_test, name="send_test"),
    path("notifications/banner/", context.address_banner, name="address_banner"),
    path("notifications/mine/", my_messages.my_messages, name="mine"),
    path("notifications/mine/texts/start/", my_messages.texts_start, name="texts_start"),
    path("notifications/mine/texts/confirm/", my_messages.texts_confirm, name="texts_confirm"),
    path("notifications/mine/texts/off/", my_messages.texts_off, name="texts_off"),
    path("reminders/cancel/<str:token>/", cancel.reminder_cancel, name="reminder_cancel"),
    path("webhooks/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    path("webhooks/twilio/inbound/", webhooks.twilio_inbound, name="twilio_inbound"),
]

navigation.register(navigation.STAFF, "Messages", "messaging:log", 70, capability=VIEW_MESSAGES)
