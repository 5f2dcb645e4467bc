from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "reformer.bookings"
    label = "bookings"
