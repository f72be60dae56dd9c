"""What happens to a submission after approval, with no human step.

- Submitting already converted every image into a review copy (processing.review_copies).
- Approval (review.services.approve) enqueues `start_processing`: the submission becomes
  `processing` and gets its accession; a job still missing is created and any failed one
  queued again (processing.jobs). When every job has succeeded, publication copies the review
  copies into the archive (publication.services), converting nothing again; the last job to
  succeed, or `start_processing` itself when all are done, enqueues it.
- `retry_processing` lets a curator or facility admin try a failed submission again.
- Inspection of each verified upload, before any of this, is in processing.inspection.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import User
from submissions.core import dispatch
from submissions.core.errors import InvalidTransition
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.processing import review_copies
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.processing.review_copies import files_to_convert
from submissions.publication.models import Publication
from submissions.uploads.models import DataFile, FileStatus

__all__ = ["fail_submission", "files_to_convert", "retry_processing", "start_processing"]

logger = logging.getLogger(__name__)


# --- Starting and retrying ----------------------------------------------------------------------


def files_to_keep(*, submission: Submission) -> list[DataFile]:
    """Originals to archive: every image file, plus attachments that are not images."""
    return list(submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED]))


_RESET = {
    "state": JobState.QUEUED,
    "attempts": 0,
    "claim_token": None,
    "error_kind": ErrorKind.NONE,
    "error_code": "",
    "error_message": "",
    "error_details": "",
}


def _queue_work(*, submission: Submission) -> None:
    """Create missing jobs and enqueue every queued one; publication if all have succeeded."""
    jobs = review_copies.sync_jobs(submission=submission)
    if all(job.state == JobState.SUCCEEDED for job in jobs):
        dispatch.publish_dataset(submission_id=submission.pk)


def start_processing(*, submission_id: str) -> None:
    """approved -> processing: allocate the accession, queue conversions. Idempotent."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
        if submission is None or submission.status != SubmissionStatus.APPROVED:
            return
        lifecycle.transition(
            submission=submission,
            to=SubmissionStatus.PROCESSING,
            actor=None,
            note="Conversion to OME-Zarr started.",
        )
        if not submission.accession:
            submission.accession = lifecycle.allocate_accession()
            Submission.objects.filter(pk=submission.pk).update(accession=submission.accession)
        Publication.objects.get_or_create(
            submission=submission,
            defaults={"accession": submission.accession, "due_at": timezone.now()},
        )
        # Approved and given its accession: the DOI is reserved as a draft.
        dispatch.sync_doi(submission_id=submission.pk)
        # A review copy that failed on our side before approval gets a fresh start.
        ConversionJob.objects.filter(submission=submission, state=JobState.FAILED).update(
            progress=0.0, stage="", due_at=timezone.now(), **_RESET
        )
        _queue_work(submission=submission)


def retry_processing(*, submission: Submission, user: User, note: str = "") -> Submission:
    """processing_failed -> processing: failed jobs and publication are queued again."""
    lifecycle.require_curator(user=user, submission=submission)
    with transaction.atomic():
        lifecycle.transition(
            submission=submission,
            to=SubmissionStatus.PROCESSING,
            actor=user,
            note=note or "Processing retried.",
        )
        reset = {**_RESET, "due_at": timezone.now()}
        ConversionJob.objects.filter(submission=submission, state=JobState.FAILED).update(
            progress=0.0, stage="", **reset
        )
        Publication.objects.filter(submission=submission, state=JobState.FAILED).update(**reset)
        _queue_work(submission=submission)
    submission.refresh_from_db()
    return submission


def fail_submission(*, submission_id: Any, reason: str) -> None:
    """processing -> processing_failed with the reason; nothing if it is no longer processing."""
    try:
        lifecycle.transition(
            submission=Submission(pk=submission_id),
            to=SubmissionStatus.PROCESSING_FAILED,
            actor=None,
            note=reason[:2000],
        )
    except InvalidTransition:
        logger.info("submission %s not processing; failure not recorded twice", submission_id)
        return
    # The researcher, and the facility admins, hear of it.
    dispatch.submission_mail(submission_id=submission_id, kind=NotificationKind.PROCESSING_FAILED)
