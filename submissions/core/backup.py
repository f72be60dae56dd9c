"""Backup and restore: the database dump plus a manifest of every object in both buckets.

Object storage keeps its own copies (versioning or replication on the buckets); what it cannot
know is which objects the database expects. So a backup is a folder with:

- ``database.dump``: ``pg_dump --format=custom`` (PostgreSQL), or an SQLite online backup;
- ``staging.jsonl`` and ``archive.jsonl``: one line per object, ``{"key", "size"}``;
- ``backup.json``: when, which database engine, object and dataset counts.

Restoring loads the dump into an empty database (it refuses one that has tables) and then
checks that every published dataset's objects listed in the manifest are in the archive.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, connections

from submissions.core import storage

DUMP = "database.dump"
MANIFEST = "backup.json"


class BackupError(Exception):
    """A backup or restore step failed; the message says which and why."""


@dataclass
class RestoreReport:
    datasets: list[str] = field(default_factory=list)
    missing_objects: dict[str, list[str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.missing_objects


def _pg_env_and_dsn(settings_dict: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    env = {"PGPASSWORD": str(settings_dict.get("PASSWORD") or "")}
    args = [
        "--host",
        str(settings_dict.get("HOST") or "127.0.0.1"),
        "--port",
        str(settings_dict.get("PORT") or 5432),
        "--username",
        str(settings_dict.get("USER") or "postgres"),
        "--dbname",
        str(settings_dict["NAME"]),
    ]
    return env, args


def _run(args: list[str], env: dict[str, str]) -> None:
    import os

    try:
        completed = subprocess.run(
            args, env={**os.environ, **env}, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupError(f"{args[0]} cannot be started: {error}") from error
    if completed.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {completed.stderr.strip()[-2000:]}")


def _write_manifest(target: Path, name: str) -> int:
    objects = storage.list_all(storage=getattr(storage, name)())
    with (target / f"{name}.jsonl").open("w") as handle:
        for key, size in sorted(objects.items()):
            handle.write(json.dumps({"key": key, "size": size}) + "\n")
    return len(objects)


def backup(*, target: Path, pg_dump: str = "pg_dump") -> dict[str, Any]:
    """Write a backup into the (new or empty) folder ``target``; returns backup.json."""
    from submissions.publication.models import Publication

    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder")
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        env, args = _pg_env_and_dsn(settings_dict)
        _run([pg_dump, "--format=custom", "--no-owner", *args, "--file", str(target / DUMP)], env)
    elif connection.vendor == "sqlite":
        with (
            sqlite3.connect(settings_dict["NAME"]) as source,
            sqlite3.connect(target / DUMP) as out,
        ):
            source.backup(out)
    else:
        raise BackupError(f"backing up {connection.vendor} is not supported")
    summary = {
        "created_at": datetime.now(UTC).isoformat(),
        "engine": connection.vendor,
        "objects": {name: _write_manifest(target, name) for name in ("staging", "archive")},
        "datasets": sorted(Publication.objects.values_list("accession", flat=True)),
    }
    (target / MANIFEST).write_text(json.dumps(summary, indent=2))
    return summary


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore(*, source: Path, pg_restore: str = "pg_restore") -> RestoreReport:
    """Load ``source`` into the configured, empty database and check the archive against it."""
    summary = json.loads((source / MANIFEST).read_text())
    if summary["engine"] != connection.vendor:
        raise BackupError(
            f"the backup is of {summary['engine']}, this database {connection.vendor}"
        )
    if not _database_is_empty():
        raise BackupError("the database is not empty: restore into a new, empty database")
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        env, args = _pg_env_and_dsn(settings_dict)
        _run([pg_restore, "--no-owner", "--exit-on-error", *args, str(source / DUMP)], env)
    else:
        connections.close_all()
        shutil.copyfile(source / DUMP, settings_dict["NAME"])
    connections.close_all()
    return verify(source=source)


def verify(*, source: Path) -> RestoreReport:
    """Every dataset in the database, and the archive objects of each that are missing."""
    from submissions.publication.models import Publication

    expected: dict[str, list[str]] = {}
    with (source / "archive.jsonl").open() as handle:
        for line in handle:
            key = json.loads(line)["key"]
            if key.startswith("datasets/"):
                expected.setdefault(key.split("/", 2)[1], []).append(key)
    report = RestoreReport()
    for accession in Publication.objects.order_by("accession").values_list("accession", flat=True):
        report.datasets.append(accession)
        present = storage.list_tree(storage=storage.archive(), prefix=f"datasets/{accession}/")
        missing = [
            key
            for key in expected.get(accession, [])
            if key.removeprefix(f"datasets/{accession}/") not in present
        ]
        if missing:
            report.missing_objects[accession] = missing
    return report
