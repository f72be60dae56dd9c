"""Review copies: every image is converted when the researcher submits, into staging.

- `start_review_copies` (after submit, enqueued by review.services.submit) makes one
  ConversionJob per image file and queues it. A file that already has a job keeps it: its
  bytes cannot change (a verified file is immutable), so a resubmission converts only the
  files that are new. A file removed while changes were requested leaves its job behind as
  an orphan (`data_file` NULL); a new file with the same SHA-256 takes that job over, review
  copy included, and any other orphan is deleted with its copy.
- The converted tree lives at `keys.review_prefix` in staging and is charged to the
  submitter's staging quota (`ConversionJob.review_reservation`).
- Approval publishes these trees (publication.services.publish copies them into the
  archive); `clean_up_review_copies` then deletes them and frees their quota, and it does the
  same, jobs included, when the submission is rejected or withdrawn.
- A conversion that fails before approval is the curators' to see on the review page and the
  researcher's to fix: an event on the timeline and a mail saying what is wrong
  (`conversion_failed`). When the failure is ours (storage, the converter), the facility
  admins are mailed instead, once per image. After approval it fails the submission, as it
  always did.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from submissions.core import dispatch, keys, storage, treecopy
from submissions.core.errors import InvalidTransition, PortalError
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.quotas.models import QuotaReservation, ReservationState, StorageArea
from submissions.quotas.services import ledger as quota
from submissions.quotas.services.estimate import estimate_file_archive_bytes
from submissions.uploads.models import DataFile, FileStatus

logger = logging.getLogger(__name__)
S = SubmissionStatus

# Where a job may convert: from submit to publication (a failed publication waits for retry).
CONVERTIBLE = frozenset({S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.PROCESSING})
# Where review copies have no future: they are deleted, their jobs with them.
DISCARDED = frozenset({S.REJECTED, S.WITHDRAWN})


def files_to_convert(*, submission: Submission, uninspected: bool = True) -> list[DataFile]:
    """Image files: inspected ones with pixel data (or a vendor format), and, unless
    `uninspected` is False, files not inspected yet (after approval nothing waits for them;
    before it, inspection starts their review copy when it knows they are images)."""
    files = submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED])
    return [
        f
        for f in files
        if (uninspected and f.status == FileStatus.VERIFIED)
        or f.inspection.get("series")
        or f.inspection.get("needs_bioformats")
    ]


def sync_jobs(*, submission: Submission, uninspected: bool = True) -> list[ConversionJob]:
    """Make the jobs match the submission's image files and queue what is not converted.

    Runs inside the caller's transaction, with the submission row locked. Orphans (their file
    was removed) are reused for a new file with the same bytes, or deleted with their copy.
    Before approval (`uninspected=False`) a file not inspected yet waits for its inspection.
    """
    now = timezone.now()
    orphans: dict[str, list[ConversionJob]] = {}
    for orphan in ConversionJob.objects.filter(submission=submission, data_file=None).exclude(
        state=JobState.RUNNING
    ):
        orphans.setdefault(orphan.source_sha256, []).append(orphan)
    for data_file in files_to_convert(submission=submission, uninspected=uninspected):
        if ConversionJob.objects.filter(data_file=data_file).exists():
            continue
        reusable = [j for j in orphans.get(data_file.sha256, []) if data_file.sha256]
        if reusable:
            job = reusable[0]
            orphans[data_file.sha256].remove(job)
            ConversionJob.objects.filter(pk=job.pk).update(data_file=data_file)
            lifecycle.record_event(
                submission=submission,
                actor=None,
                kind="review_copy",
                note=f"{data_file.name}: same bytes as a removed file; its review copy is kept.",
            )
            continue
        ConversionJob.objects.create(
            submission=submission,
            data_file=data_file,
            source_sha256=data_file.sha256,
            due_at=now,
        )
    for leftover in (job for jobs in orphans.values() for job in jobs):
        discard_job(job=leftover)
    queued = list(ConversionJob.objects.filter(submission=submission, state=JobState.QUEUED))
    for job in queued:
        dispatch.convert_file(job_id=job.pk)
    return list(ConversionJob.objects.filter(submission=submission))


_NOT_THE_FILE = ("quota_exceeded",)


def _retry_fields() -> dict[str, Any]:
    return {
        "state": JobState.QUEUED,
        "attempts": 0,
        "claim_token": None,
        "due_at": timezone.now(),
        "progress": 0.0,
        "stage": "",
        "error_kind": ErrorKind.NONE,
        "error_code": "",
        "error_message": "",
        "error_details": "",
    }


def start_review_copies(*, submission_id: str) -> None:
    """After submit: queue the conversion of every image file not converted yet. Idempotent."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
        if submission is None or submission.status not in (S.SUBMITTED, S.IN_REVIEW):
            return
        # Failures that were not the bytes' fault (ours, or a full quota since freed) get a
        # fresh start at each submit; a file whose bytes failed stays failed until replaced.
        ConversionJob.objects.filter(submission=submission, state=JobState.FAILED).filter(
            Q(error_kind=ErrorKind.APPLICATION) | Q(error_code__in=_NOT_THE_FILE)
        ).update(**_retry_fields())
        sync_jobs(submission=submission, uninspected=False)


# --- The staging quota of a review copy ---------------------------------------------------------


def reserve_space(*, job: ConversionJob) -> QuotaReservation:
    """Hold staging quota for the review copy before converting (QuotaExceeded if full).

    A held reservation of an earlier attempt is reused, so a retried job holds once.
    """
    held = job.review_reservation
    if held is not None and held.state == ReservationState.HELD:
        return held
    data_file = job.data_file
    assert data_file is not None
    estimate = estimate_file_archive_bytes(data_file=data_file)
    if settings.ARCHIVE_KEEP_ORIGINALS:
        estimate -= data_file.size  # the original is not part of the review copy
    submission = job.submission
    reservation = quota.reserve(
        user=submission.owner,
        facility=submission.facility,
        nbytes=max(estimate, 1),
        submission=submission,
        area=StorageArea.STAGING,
    )
    ConversionJob.objects.filter(pk=job.pk).update(review_reservation=reservation)
    job.review_reservation = reservation
    return reservation


def settle_space(*, job: ConversionJob, nbytes: int) -> None:
    """Charge what the review copy really takes (inside the caller's transaction)."""
    reservation = job.review_reservation
    try:
        if reservation is None:
            raise InvalidTransition("no reservation")
        quota.settle(reservation=reservation, actual_bytes=nbytes)
    except InvalidTransition:
        # The hold expired while converting (a very long job): charge the bytes anew.
        submission = job.submission
        try:
            reservation = quota.reserve(
                user=submission.owner,
                facility=submission.facility,
                nbytes=max(nbytes, 1),
                submission=submission,
                area=StorageArea.STAGING,
            )
        except PortalError:
            logger.warning("review copy of job %s stored beyond the staging quota", job.pk)
            return
        quota.settle(reservation=reservation, actual_bytes=nbytes)
        ConversionJob.objects.filter(pk=job.pk).update(review_reservation=reservation)


def give_back_space(*, reservation: QuotaReservation | None) -> None:
    if reservation is None:
        return
    reservation.refresh_from_db()
    if reservation.state == ReservationState.HELD:
        quota.release(reservation=reservation)
    elif reservation.state == ReservationState.SETTLED:
        quota.free(reservation=reservation)


# --- Deleting review copies ---------------------------------------------------------------------


def _delete_copy(job: ConversionJob) -> None:
    # Every attempt's tree, recorded or not: a killed attempt may have written part of one.
    prefix = keys.review_job_prefix(submission_id=job.submission_id, job_id=job.pk)
    treecopy.delete_tree(storage=storage.staging(), prefix=prefix)
    thumbnail = keys.review_thumbnail_key(submission_id=job.submission_id, job_id=job.pk)
    storage.delete_keys(storage=storage.staging(), keys=[thumbnail])


def discard_job(*, job: ConversionJob) -> None:
    """Delete a job that is not running, its review copy and the quota it holds."""
    _delete_copy(job)
    with transaction.atomic():
        if ConversionJob.objects.filter(pk=job.pk).exclude(state=JobState.RUNNING).delete()[0]:
            give_back_space(reservation=job.review_reservation)


def clean_up_review_copies(*, submission_id: str) -> int:
    """Delete the review copies of a rejected, withdrawn or published submission and free
    their staging quota. Rejected or withdrawn: the jobs go too. Published: the jobs stay
    (they describe the archived trees). A running job is left to finish; its end sends this
    again. Idempotent; returns how many copies it deleted."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return 0
    jobs = ConversionJob.objects.filter(submission=submission).select_related("review_reservation")
    count = 0
    if submission.status in DISCARDED:
        for job in jobs.exclude(state=JobState.RUNNING):
            discard_job(job=job)
            count += 1
    elif submission.status == S.PUBLISHED:
        for job in jobs.exclude(review_prefix=""):
            _delete_copy(job)
            with transaction.atomic():
                if (
                    ConversionJob.objects.filter(pk=job.pk)
                    .exclude(review_prefix="")
                    .update(review_prefix="", review_thumbnail_key="")
                ):
                    give_back_space(reservation=job.review_reservation)
            count += 1
    return count


# --- Failures before approval -------------------------------------------------------------------


def conversion_failed(
    *, job: ConversionJob, message: str, attempt: int, users_fault: bool = True
) -> None:
    """A job failed for good. After approval the submission fails (processing_failed, mailed);
    before it, the timeline and the review page say which file and why, and, when the file is
    at fault, the researcher is told what to fix. A failure on our side waits for approval,
    which queues the job again (processing.services.start_processing).
    Runs inside the caller's transaction."""
    from submissions.processing.services import fail_submission

    name = job.data_file.name if job.data_file else "A removed file"
    status = Submission.objects.values_list("status", flat=True).get(pk=job.submission_id)
    if status in (S.APPROVED, S.PROCESSING):
        fail_submission(submission_id=job.submission_id, reason=f"{name}: {message}")
        return
    if status in DISCARDED:
        return
    note = f"{name}: {message}"
    lifecycle.record_event(
        submission=Submission(pk=job.submission_id),
        actor=None,
        kind="conversion_failed",
        note=note[:2000],
    )
    if not users_fault:
        # Ours (storage, the converter): the facility admins are told, once per image however
        # often it is retried or resubmitted (the mail's key names the job only).
        code, details = ConversionJob.objects.values_list("error_code", "error_details").get(
            pk=job.pk
        )
        dispatch.submission_mail(
            submission_id=job.submission_id,
            kind=NotificationKind.REVIEW_COPY_ERROR,
            key=f"job:{job.pk}",
            note=f"{name} ({code or 'internal_error'})\n\n{details[-2000:]}".strip(),
        )
        return
    dispatch.submission_mail(
        submission_id=job.submission_id,
        kind=NotificationKind.REVIEW_COPY_FAILED,
        key=f"job:{job.pk}:{attempt}",
        note=note,
    )
