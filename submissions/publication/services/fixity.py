"""Fixity of the archive: the SHA-256 of every published object, recorded in the dataset's
manifest at publication, and the audit that re-hashes what the archive holds against it.

At publication `checksum_tree` hashes each OME-Zarr object as the archive holds it (after the
job's push was verified by count and size); the manifest keeps them per file under
`ome_zarr.sha256` beside the original's `sha256` (verified at upload). The audit
(`audit_dataset`, weekly through `audit_archive`, or `manage.py fixity`) re-reads every
object the manifest names, records the outcome as an event on the dataset's timeline, and
mails the facility's admins when anything is missing, unexpected or different. The audit
reads no faster than FIXITY_AUDIT_MAX_MB_S (0: no cap), so a weekly pass over a large
archive leaves its bandwidth to downloads; `manage.py fixity --max-rate` overrides it. Manifests
written before checksums were recorded are checked by object count and size only, and the
audit says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.utils import timezone

from submissions.core import keys, storage
from submissions.core.ratelimit import RateLimit
from submissions.core.units import format_bytes
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.notifications.services import mail
from submissions.notifications.services.submission_mail import admins_of
from submissions.publication.models import Publication

log = logging.getLogger(__name__)
CHUNK = 8 * 1024 * 1024
SHOWN_PROBLEMS = 20


def hash_object(*, archive: Storage, key: str, limit: RateLimit | None = None) -> tuple[str, int]:
    """(SHA-256 hex, size) of one stored object, streamed: memory stays at one chunk; read
    no faster than `limit` allows."""
    hasher = hashlib.sha256()
    size = 0
    if storage.is_s3(archive):
        reader = storage.reading_client(archive)
        body = reader.get_object(Bucket=archive.bucket_name, Key=key)["Body"]  # type: ignore[attr-defined]
        try:
            for chunk in body.iter_chunks(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                if limit is not None:
                    limit.take(len(chunk))
        finally:
            body.close()
    else:
        with Path(archive.path(key)).open("rb", buffering=0) as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                if limit is not None:
                    limit.take(len(chunk))
    return hasher.hexdigest(), size


def audit_limit(mb_s: float | None = None) -> RateLimit:
    """The audit's shared read budget: `mb_s` MB/s, else FIXITY_AUDIT_MAX_MB_S (0: none)."""
    rate = settings.FIXITY_AUDIT_MAX_MB_S if mb_s is None else mb_s
    return RateLimit(rate * 1e6 if rate and rate > 0 else None)


def _hash_many(
    archive: Storage, object_keys: Iterable[str], limit: RateLimit | None = None
) -> dict[str, str | None]:
    """key -> SHA-256 hex (None when the object is missing), hashed in parallel."""

    def one(key: str) -> tuple[str, str | None]:
        try:
            return key, hash_object(archive=archive, key=key, limit=limit)[0]
        except (FileNotFoundError, IsADirectoryError):
            return key, None
        except Exception as error:
            if _is_missing(error):
                return key, None
            raise

    workers = max(1, int(getattr(settings, "ARCHIVE_PUSH_WORKERS", 4)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, list(object_keys)))


def _is_missing(error: Exception) -> bool:
    response = getattr(error, "response", None)
    code = str((response or {}).get("Error", {}).get("Code", ""))
    return code in {"NoSuchKey", "404", "NotFound"}


def checksum_tree(*, archive: Storage, prefix: str) -> dict[str, str]:
    """Every object under `prefix` (relative key -> SHA-256 hex), as the archive holds it."""
    listed = storage.list_tree(storage=archive, prefix=prefix)
    base = prefix.rstrip("/") + "/"
    hashed = _hash_many(archive, [base + relative for relative in sorted(listed)])
    return {key[len(base) :]: digest for key, digest in hashed.items() if digest is not None}


@dataclass
class AuditResult:
    accession: str
    objects: int = 0
    nbytes: int = 0
    unverifiable: int = 0  # objects of manifests written before checksums were recorded
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        checked = f"{self.objects} objects ({format_bytes(self.nbytes)}) re-hashed"
        if self.clean:
            text = f"Fixity audit: {checked}; every one matches the manifest."
        else:
            shown = "; ".join(self.problems[:SHOWN_PROBLEMS])
            more = len(self.problems) - SHOWN_PROBLEMS
            text = (
                f"Fixity audit found {len(self.problems)} problem(s) ({checked}): {shown}"
                + (f"; and {more} more" if more > 0 else "")
                + "."
            )
        if self.unverifiable:
            text += (
                f" {self.unverifiable} objects published before checksums were recorded were "
                "checked by count and size only."
            )
        return text


def _read_manifest(archive: Storage, accession: str) -> dict[str, Any]:
    with storage.open_object(storage=archive, key=keys.manifest_key(accession)) as handle:
        return dict(json.loads(handle.read()))


def _audit_original(
    archive: Storage, entry: dict[str, Any], result: AuditResult, limit: RateLimit
) -> None:
    key, expected, name = entry["original"], entry.get("sha256"), entry.get("name", "")
    found = _hash_many(archive, [key], limit)[key]
    if found is None:
        result.problems.append(f"the original of {name} ({key}) is missing")
        return
    result.objects += 1
    result.nbytes += int(entry.get("size") or 0)
    if not expected:
        result.unverifiable += 1
    elif found != expected:
        result.problems.append(
            f"the original of {name} ({key}) has SHA-256 {found}, the manifest says {expected}"
        )


def _audit_zarr(
    archive: Storage, entry: dict[str, Any], result: AuditResult, limit: RateLimit
) -> None:
    zarr, name = entry["ome_zarr"], entry.get("name", "")
    prefix = zarr["prefix"].rstrip("/") + "/"
    listed = storage.list_tree(storage=archive, prefix=prefix)
    recorded: dict[str, str] | None = zarr.get("sha256")
    if recorded is None:  # published before checksums were recorded
        result.objects += len(listed)
        result.unverifiable += len(listed)
        result.nbytes += sum(listed.values())
        if len(listed) != zarr.get("objects") or sum(listed.values()) != zarr.get("bytes"):
            result.problems.append(
                f"the OME-Zarr of {name} holds {len(listed)} objects / {sum(listed.values())} B, "
                f"the manifest says {zarr.get('objects')} / {zarr.get('bytes')} B"
            )
        return
    found = _hash_many(archive, [prefix + relative for relative in sorted(recorded)], limit)
    for relative, expected in sorted(recorded.items()):
        digest = found[prefix + relative]
        if digest is None:
            result.problems.append(f"{prefix}{relative} is missing")
            continue
        result.objects += 1
        result.nbytes += listed.get(relative, 0)
        if digest != expected:
            result.problems.append(
                f"{prefix}{relative} has SHA-256 {digest}, the manifest says {expected}"
            )
    for relative in sorted(set(listed) - set(recorded)):
        result.problems.append(f"{prefix}{relative} is not in the manifest")


def audit_dataset(
    *, publication: Publication, mail_admins: bool = True, limit: RateLimit | None = None
) -> AuditResult:
    """Re-hash one published dataset against its manifest; record the audit as an event on
    its timeline and, on any mismatch, mail the facility's admins (once per dataset a day).
    Reads within `limit` (default: FIXITY_AUDIT_MAX_MB_S)."""
    limit = limit or audit_limit()
    archive = storage.archive()
    result = AuditResult(accession=publication.accession)
    try:
        manifest = _read_manifest(archive, publication.accession)
    except FileNotFoundError:
        result.problems.append(
            f"its manifest {keys.manifest_key(publication.accession)} is missing"
        )
        manifest = {"files": []}
    except (OSError, ValueError) as error:
        result.problems.append(f"its manifest could not be read ({type(error).__name__})")
        manifest = {"files": []}
    except Exception as error:
        if not _is_missing(error):
            raise
        result.problems.append(
            f"its manifest {keys.manifest_key(publication.accession)} is missing"
        )
        manifest = {"files": []}
    for entry in manifest.get("files", []):
        if entry.get("original"):
            _audit_original(archive, entry, result, limit)
        if entry.get("ome_zarr"):
            _audit_zarr(archive, entry, result, limit)
    submission = publication.submission
    lifecycle.record_event(
        submission=submission,
        actor=None,
        kind="fixity_audit" if result.clean else "fixity_mismatch",
        note=result.summary(),
    )
    if not result.clean:
        log.error("fixity audit of %s: %s", publication.accession, result.summary())
        if mail_admins:
            _alert(publication, result)
    return result


def _alert(publication: Publication, result: AuditResult) -> int:
    submission = publication.submission
    admins = list(admins_of(facility_id=submission.facility_id))
    if not admins:
        log.error("no facility admin to tell about %s", publication.accession)
    return mail.send_each(
        recipients=admins,
        kind=NotificationKind.FIXITY,
        key=f"fixity:{publication.accession}:{timezone.localdate().isoformat()}",
        subject=f"Fixity audit: {publication.accession} differs from its manifest",
        template="fixity_mismatch",
        context={
            "accession": publication.accession,
            "facility": submission.facility.name,
            "problems": result.problems[:SHOWN_PROBLEMS],
            "more": max(0, len(result.problems) - SHOWN_PROBLEMS),
            "summary": result.summary(),
        },
        submission=submission,
    )


def audited_publications(*, accessions: Iterable[str] | None = None) -> Any:
    """Published datasets whose archive objects are kept (not withdrawn)."""
    found = Publication.objects.filter(
        marker_written_at__isnull=False,
        tombstoned_at__isnull=True,
        submission__status=SubmissionStatus.PUBLISHED,
    ).select_related("submission", "submission__facility")
    if accessions is not None:
        found = found.filter(accession__in=list(accessions))
    return found.order_by("accession")


def audit_archive(*, accessions: Iterable[str] | None = None) -> list[AuditResult]:
    """Audit every published dataset (or those named); one event per dataset. One read
    budget for the whole pass."""
    limit = audit_limit()
    return [
        audit_dataset(publication=p, limit=limit)
        for p in audited_publications(accessions=accessions)
    ]
