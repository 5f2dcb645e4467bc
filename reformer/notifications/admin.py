from django.contrib import admin

from reformer.notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["kind", "channel", "to_address", "status", "attempts", "created_at"]
    list_filter = ["organization", "channel", "status", "kind"]
    search_fields = ["to_address", "idempotency_key"]
    raw_id_fields = ["recipient"]
