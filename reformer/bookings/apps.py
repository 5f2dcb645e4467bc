from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "reformer.bookings"
    label = "bookings"

    def ready(self) -> None:
        from reformer.bookings.class_state import class_states
        from reformer.core import live

        # Every "session" live event carries its classes' public state (class_state.py).
        live.attach_states("session", class_states)
