from django.contrib import admin

from reformer.notifications.models import (
    InboundSms,
    Message,
    MessageEvent,
    OrganizationMessaging,
    ProviderCircuit,
    RecipientSettings,
    StudioMessaging,
)


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    readonly_fields = ["status", "occurred_at", "detail", "provider_event_id"]
    can_delete = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["kind", "channel", "to_address", "status", "attempts", "provider", "created_at"]
    list_filter = ["organization", "channel", "status", "kind", "provider"]
    search_fields = ["to_address", "idempotency_key", "provider_id"]
    raw_id_fields = ["recipient", "fallback_for"]
    inlines = [MessageEventInline]


@admin.register(RecipientSettings)
class RecipientSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "sms_phone",
        "sms_confirmed_at",
        "sms_stopped_at",
        "email_suppressed_at",
    ]
    search_fields = ["user__email", "sms_phone", "email_suppressed_address"]
    raw_id_fields = ["user"]
    exclude = ["pending_code_digest"]


admin.site.register(OrganizationMessaging)
admin.site.register(StudioMessaging)
admin.site.register(ProviderCircuit)
admin.site.register(InboundSms)
