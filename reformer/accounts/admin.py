from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from reformer.accounts.models import ClientProfile, Invitation, Membership, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "phone", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "phone", "photo"]}),
        (
            "Notifications",
            {
                "fields": [
                    "notify_class_reminders",
                    "notify_booking_confirmations",
                    "notify_promotional_email",
                    "notify_sms",
                ]
            },
        ),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "active"]
    list_filter = ["organization", "role", "active"]
    search_fields = ["user__email", "user__name"]
    raw_id_fields = ["user"]


@admin.register(ClientProfile)
class ClientProfileAdmin(admin.ModelAdmin):
    list_display = ["membership", "no_show_strikes", "suspended_until"]
    list_filter = ["organization"]
    raw_id_fields = ["membership"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "expires_at", "accepted_at"]
    list_filter = ["organization", "role"]
