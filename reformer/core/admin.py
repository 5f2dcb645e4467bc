from django.contrib import admin

from reformer.core.models import AdminAlert, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["code", "organization", "actor", "subject_type", "subject_id", "at"]
    list_filter = ["organization", "code"]
    search_fields = ["code"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AdminAlert)
class AdminAlertAdmin(admin.ModelAdmin):
    list_display = ["code", "organization", "created_at", "resolved_at"]
    list_filter = ["organization", "code"]
