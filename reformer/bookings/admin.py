from django.contrib import admin

from reformer.bookings.models import Booking, WaitlistEntry


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "client", "session", "status", "source", "created_at"]
    list_filter = ["organization", "status", "source"]
    search_fields = ["reference", "client__user__email"]
    raw_id_fields = ["session", "client", "client_package", "spot"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["client", "session", "status", "joined_at"]
    list_filter = ["organization", "status"]
    raw_id_fields = ["session", "client", "booking"]
