from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "reformer.notifications"
    label = "notifications"

    def ready(self) -> None:
        from anymail.signals import tracking

        from reformer.notifications.tracking import on_anymail_tracking

        # Every anymail provider's verified tracking webhook lands here.
        tracking.connect(on_anymail_tracking, dispatch_uid="reformer.notifications.tracking")
