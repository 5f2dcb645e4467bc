from django.contrib import admin

from reformer.scheduling.models import (
    ClassSession,
    ClassType,
    InstructorUnavailability,
    RecurringTemplate,
    RotationSlot,
)


@admin.register(ClassType)
class ClassTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "duration_minutes", "default_capacity"]
    list_filter = ["organization"]


class RotationSlotInline(admin.TabularInline):
    model = RotationSlot
    extra = 0


@admin.register(RecurringTemplate)
class RecurringTemplateAdmin(admin.ModelAdmin):
    list_display = ["class_type", "studio", "weekday", "local_start_time", "active"]
    list_filter = ["organization", "studio", "active"]
    inlines = [RotationSlotInline]


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = ["class_type", "studio", "starts_at", "instructor", "booked_count", "capacity"]
    list_filter = ["organization", "studio", "status"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["instructor", "template"]


@admin.register(InstructorUnavailability)
class InstructorUnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["instructor", "starts_on", "ends_on", "reason"]
    list_filter = ["organization"]
