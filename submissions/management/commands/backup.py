"""`manage.py backup DIR`: the database dump and both buckets' manifests (see core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.core import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and a manifest of every stored object into DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", type=Path, help="a new or empty folder")
        parser.add_argument("--pg-dump", default="pg_dump", help="pg_dump of the server's version")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup.backup(target=options["target"], pg_dump=options["pg_dump"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up the {summary['engine']} database, {len(summary['datasets'])} datasets, "
            f"{summary['objects']['staging']} staging and {summary['objects']['archive']} "
            f"archive objects to {options['target']}"
        )
