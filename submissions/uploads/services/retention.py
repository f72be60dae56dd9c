"""Retention of the uploads of submissions that ended without publication.

A rejected or withdrawn submission keeps its uploaded files (and their staging quota) for
`TERMINAL_STAGING_RETENTION_DAYS` after it ended, so the researcher can still download them;
the page and the rejection or withdrawal mail give the date (`deletion_date`). Then
`purge_due` (beat, daily; `manage.py purge_terminal_uploads`) deletes them:

- claim: a conditional update on the submission's RetentionPurge row; zero rows means another
  run has it (a claim older than CLAIM_LEASE is taken over: its worker died);
- work, with no lock and no transaction: every file's object (and unfinished multipart
  upload) and preview is deleted. Deleting what is already gone succeeds, so a retry is safe;
- record, in one transaction, only while the claim is still ours and nothing was recorded:
  each file's quota is given back (exactly what its reservation still counts, so nothing is
  freed twice), the files are marked `purged_at`, and one `files_deleted` event is written.

A storage outage fails the work step: the claim is given back and nothing is recorded, so the
next run tries again with nothing lost or freed. The date counts from the submission's last
status change (rejected and withdrawn are final), so a changed setting moves every date.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as format_date

from submissions.core import keys, storage
from submissions.core.units import format_bytes
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.quotas.services import datasets as quota_datasets
from submissions.uploads.models import DataFile, FileStatus, RetentionPurge
from submissions.uploads.services.backends import staging_backend

log = logging.getLogger(__name__)

ENDED = (SubmissionStatus.REJECTED, SubmissionStatus.WITHDRAWN)
# A run that claimed a submission and stopped (a killed worker) is taken over after this.
CLAIM_LEASE = datetime.timedelta(hours=1)
# At most this many submissions a run; the next run takes the rest.
BATCH = 500
DATE_FORMAT = "j M Y"  # 12 Dec 2026
# The same files as `_files_with_bytes`, seen from a submission (for counts in one query).
PENDING_FILES = ~Q(files__status=FileStatus.ABORTED) & Q(files__purged_at=None)


def retention_period() -> datetime.timedelta:
    return datetime.timedelta(days=settings.TERMINAL_STAGING_RETENTION_DAYS)


def deletion_date(*, submission: Submission) -> datetime.datetime | None:
    """When the uploads of a rejected or withdrawn submission are deleted; None otherwise."""
    if submission.status not in ENDED:
        return None
    return submission.status_changed_at + retention_period()


def files_kept_until(*, submission: Submission) -> datetime.datetime | None:
    """The deletion date of a rejected or withdrawn submission that still has uploaded files
    to delete; None when there is nothing left to delete (or it has not ended)."""
    deleted_on = deletion_date(submission=submission)
    if deleted_on is None or not _files_with_bytes().filter(submission=submission).exists():
        return None
    return deleted_on


@dataclass(frozen=True)
class Notice:
    """What the pages say about a rejected or withdrawn submission's uploaded files."""

    ending: str  # "rejected" or "withdrawn"
    kept_until: datetime.datetime | None  # deleted after this day
    deleted_at: datetime.datetime | None  # deleted on this day

    def sentence(self) -> str:
        if self.deleted_at is not None:
            when = human_date(self.deleted_at)
            return f"Files deleted on {when} after the submission was {self.ending}."
        assert self.kept_until is not None
        if self.kept_until <= timezone.now():
            return (
                f"This submission was {self.ending}. Its uploaded files were due for deletion "
                f"on {human_date(self.kept_until)} and will be deleted shortly."
            )
        return (
            f"This submission was {self.ending}. Its uploaded files are kept until "
            f"{human_date(self.kept_until)}, then deleted; until then you can download them."
        )


def notice(*, submission: Submission) -> Notice | None:
    """The retention notice of a rejected or withdrawn submission; None for any other (or
    one that never had files to keep)."""
    if submission.status not in ENDED:
        return None
    ending = submission.get_status_display().lower()
    purge = RetentionPurge.objects.filter(submission=submission).exclude(purged_at=None).first()
    kept_until = files_kept_until(submission=submission)
    if kept_until is not None:
        return Notice(ending, kept_until, None)
    if purge is not None and purge.purged_at is not None:
        return Notice(ending, None, purge.purged_at)
    return None


def can_download(*, data_file: DataFile) -> bool:
    """Whether the original bytes of a file are there to download: stored (verified or
    inspected) and not deleted by retention."""
    return data_file.purged_at is None and data_file.status in (
        FileStatus.VERIFIED,
        FileStatus.INSPECTED,
    )


def human_date(moment: datetime.datetime) -> str:
    return format_date(timezone.localtime(moment), DATE_FORMAT)


def _files_with_bytes() -> QuerySet[DataFile]:
    """Files whose bytes retention still has to delete (aborted uploads never kept any)."""
    return DataFile.objects.exclude(status=FileStatus.ABORTED).filter(purged_at=None)


def due_submissions(*, now: datetime.datetime | None = None) -> QuerySet[Submission]:
    """Rejected or withdrawn submissions past their retention period with files to delete."""
    now = now or timezone.now()
    pending = _files_with_bytes().filter(submission=OuterRef("pk"))
    return (
        Submission.objects.filter(status__in=ENDED, status_changed_at__lte=now - retention_period())
        .filter(Exists(pending))
        .order_by("status_changed_at", "pk")
    )


@dataclass(frozen=True)
class PurgeResult:
    submission_id: str
    files: int
    freed_bytes: int

    def sentence(self) -> str:
        noun = "file" if self.files == 1 else "files"
        return (
            f"{self.submission_id}: {self.files} {noun} deleted, "
            f"{format_bytes(self.freed_bytes)} of staging quota freed."
        )


def purge_due(*, now: datetime.datetime | None = None) -> list[PurgeResult]:
    """Delete the uploads of every submission whose retention has passed. A submission whose
    storage fails is logged and left for the next run."""
    done = []
    for submission_id in due_submissions(now=now).values_list("pk", flat=True)[:BATCH]:
        try:
            result = purge_submission(submission_id=str(submission_id), now=now)
        except Exception:
            log.exception("could not delete the uploads of %s; the next run retries", submission_id)
            continue
        if result is not None:
            done.append(result)
    return done


def purge_submission(
    *, submission_id: str, now: datetime.datetime | None = None
) -> PurgeResult | None:
    """Delete one submission's uploads if they are due and nobody else is doing it.

    Returns what was done, or None when there was nothing to do (not due, already done, or
    claimed by another run). Storage errors propagate after the claim is given back.
    """
    now = now or timezone.now()
    if not due_submissions(now=now).filter(pk=submission_id).exists():
        return None
    purge, _ = RetentionPurge.objects.get_or_create(submission_id=submission_id)
    token = uuid.uuid4()
    claimed = (
        RetentionPurge.objects.filter(pk=purge.pk)
        .filter(Q(claim_token=None) | Q(claimed_at__lt=timezone.now() - CLAIM_LEASE))
        .update(claim_token=token, claimed_at=timezone.now())
    )
    if not claimed:
        return None
    files = list(_files_with_bytes().filter(submission_id=submission_id))
    try:
        _delete_objects(files, submission_id=submission_id)
    except Exception:
        RetentionPurge.objects.filter(pk=purge.pk, claim_token=token).update(
            claim_token=None, claimed_at=None
        )
        raise
    return _record(purge_id=purge.pk, token=token, file_ids=[f.pk for f in files])


def _delete_objects(files: list[DataFile], *, submission_id: str) -> None:
    backend = staging_backend()
    for data_file in files:
        backend.discard(datafile=data_file)
    previews = [keys.preview_key(submission_id=submission_id, file_id=f.pk) for f in files]
    storage.delete_keys(storage=storage.staging(), keys=previews)


def _record(*, purge_id: int, token: uuid.UUID, file_ids: list[uuid.UUID]) -> PurgeResult | None:
    with transaction.atomic():
        purge = (
            RetentionPurge.objects.select_for_update()
            .select_related("submission")
            .filter(pk=purge_id, claim_token=token, purged_at=None)
            .first()
        )
        if purge is None:
            return None  # our claim lapsed and another run took over
        files = list(
            DataFile.objects.select_for_update(of=("self",))
            .select_related("reservation")
            .filter(pk__in=file_ids, purged_at=None)
        )
        # Exactly what each reservation still counts: bytes reconciliation already found
        # gone (it ran between our delete and this) are not freed a second time.
        freed = quota_datasets.free_files(files)
        stored = sum(f.size for f in files if f.status != FileStatus.FAILED)
        now = timezone.now()
        DataFile.objects.filter(pk__in=[f.pk for f in files]).update(purged_at=now)
        submission = purge.submission
        RetentionPurge.objects.filter(pk=purge.pk).update(
            purged_at=now, claim_token=None, file_count=len(files), freed_bytes=freed
        )
        lifecycle.record_event(
            submission=submission,
            actor=None,
            kind="files_deleted",
            note=deleted_sentence(submission=submission, when=now, files=len(files), nbytes=stored),
        )
    return PurgeResult(str(submission.pk), len(files), freed)


def deleted_sentence(
    *, submission: Submission, when: datetime.datetime, files: int, nbytes: int
) -> str:
    noun = "file" if files == 1 else "files"
    return (
        f"Files deleted on {human_date(when)} after the submission was "
        f"{submission.get_status_display().lower()}: {files} uploaded {noun} "
        f"({format_bytes(nbytes)})."
    )
