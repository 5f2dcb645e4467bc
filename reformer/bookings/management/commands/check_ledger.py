"""`reformer manage check_ledger`: every package against its ledger, every class against its
capacity and real count. Exits 1 on any discrepancy (for cron / monitoring)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reformer.bookings.integrity import check_integrity


class Command(BaseCommand):
    help = "Verify credit ledgers and class counts; exit non-zero on a discrepancy."

    def add_arguments(self, parser):
        parser.add_argument(
            "--organization", type=int, default=None, help="Only this organization (id)."
        )

    def handle(self, *args, organization: int | None = None, **options) -> None:
        report = check_integrity(organization_id=organization)
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(problem))
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(f"{len(report.problems)} discrepancies found.", returncode=1)
