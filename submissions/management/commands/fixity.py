"""`manage.py fixity [--accession ACC ...]`: re-hash published datasets against their manifests.

The weekly beat task runs the same audit (publication.tasks.audit_fixity). Each dataset's
audit is recorded on its timeline; any mismatch is mailed to the facility's admins (unless
--no-mail) and makes the command exit with status 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.publication.services import fixity


class Command(BaseCommand):
    help = "Re-hash archived originals and published OME-Zarr objects against the manifests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--accession",
            action="append",
            dest="accessions",
            metavar="ACC",
            help="audit only this dataset (repeatable); default: every published dataset",
        )
        parser.add_argument(
            "--no-mail", action="store_true", help="record the audit, but mail nobody"
        )
        parser.add_argument(
            "--max-rate",
            type=float,
            metavar="MB_S",
            help="read at most this many MB/s (0: no cap); default FIXITY_AUDIT_MAX_MB_S",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = options["accessions"]
        publications = list(fixity.audited_publications(accessions=wanted))
        if wanted:
            unknown = sorted(set(wanted) - {p.accession for p in publications})
            if unknown:
                raise CommandError(f"no published dataset {', '.join(unknown)}")
        failed = 0
        limit = fixity.audit_limit(options["max_rate"])
        for publication in publications:
            result = fixity.audit_dataset(
                publication=publication, mail_admins=not options["no_mail"], limit=limit
            )
            line = f"{result.accession}: {result.summary()}"
            if result.clean:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                failed += 1
                self.stdout.write(self.style.ERROR(line))
        self.stdout.write(f"{len(publications)} dataset(s) audited, {failed} with problems.")
        if failed:
            raise CommandError(f"{failed} dataset(s) differ from their manifest", returncode=1)
