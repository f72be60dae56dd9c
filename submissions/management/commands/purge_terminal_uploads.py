"""`manage.py purge_terminal_uploads [--dry-run]`: delete the uploads of rejected and
withdrawn submissions whose retention period has passed (uploads/services/retention.py).
Beat runs it daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Sum

from submissions.core.units import format_bytes
from submissions.uploads.services import retention


class Command(BaseCommand):
    help = (
        "Delete the uploaded files of rejected and withdrawn submissions past their retention "
        "period and free their staging quota."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what is due, delete nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            due = retention.due_submissions().annotate(
                n=Count("files", filter=retention.PENDING_FILES),
                nbytes=Sum("files__size", filter=retention.PENDING_FILES),
            )
            for submission in due:
                self.stdout.write(
                    f"{submission.pk} ({submission.get_status_display().lower()}): "
                    f"{submission.n} files, {format_bytes(submission.nbytes or 0)} "
                    "would be deleted."
                )
            self.stdout.write(f"{len(due)} submissions are past their retention period.")
            return
        results = retention.purge_due()
        for result in results:
            self.stdout.write(result.sentence())
        self.stdout.write(f"Deleted the uploads of {len(results)} submissions.")
