from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reformer.reports"
    label = "reports"

    def ready(self) -> None:
        from reformer.notifications import attachments
        from reformer.reports.actions import attached_file

        # Report emails carry the file itself (PHX-20), fetched when the email is sent.
        attachments.register("report_pdf", lambda pk: attached_file(pk, "pdf"))
        attachments.register("report_csv", lambda pk: attached_file(pk, "csv"))
