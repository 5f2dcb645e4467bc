from django.contrib import admin

from reformer.studios.models import Closure, Organization, Room, Spot, Studio, StudioPolicy


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Studio)
class StudioAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "time_zone", "active"]
    list_filter = ["organization", "active"]
    search_fields = ["name"]


@admin.register(StudioPolicy)
class StudioPolicyAdmin(admin.ModelAdmin):
    list_display = ["studio", "booking_window_days", "cancellation_window_hours", "strike_count"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "studio", "capacity"]
    list_filter = ["organization"]


@admin.register(Spot)
class SpotAdmin(admin.ModelAdmin):
    list_display = ["label", "room", "equipment_type", "row", "column", "active"]
    list_filter = ["organization", "equipment_type"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["studio", "date", "reason"]
    list_filter = ["organization"]
