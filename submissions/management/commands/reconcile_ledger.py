"""`manage.py reconcile_ledger [--dry-run]`: compare the quota ledger with staging and archive
storage, repair drift and record it (see quotas/services/reconcile.py). Beat runs it nightly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from submissions.quotas.services import reconcile


class Command(BaseCommand):
    help = "Compare the quota ledger with what staging and archive storage hold; repair drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="report the differences, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        report = reconcile.reconcile(repair=not dry_run)
        for line in report.lines():
            self.stdout.write(line)
        count = len(report.drifts)
        verb = "found" if dry_run else "found and repaired"
        self.stdout.write(
            f"Checked {report.objects_checked} stored objects: {verb} {count} "
            f"difference{'s' if count != 1 else ''} between the ledger and storage."
        )
