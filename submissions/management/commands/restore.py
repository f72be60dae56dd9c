"""`manage.py restore DIR`: load a backup into an empty database, then check the archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.core import backup


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into the configured, empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path)
        parser.add_argument("--pg-restore", default="pg_restore")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup.restore(source=options["source"], pg_restore=options["pg_restore"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {len(report.datasets)} datasets: {', '.join(report.datasets)}")
        if not report.complete:
            missing = sum(len(keys) for keys in report.missing_objects.values())
            raise CommandError(
                f"{missing} archived objects listed in the backup are missing from the archive "
                f"(datasets {', '.join(report.missing_objects)}): restore them from the "
                "bucket's versions or replica before opening the portal."
            )
        self.stdout.write("Every archived object listed in the backup is present.")
