"""What happens to a submission after approval, with no human step.

- Approval (review.services.approve) enqueues `start_processing`: the submission becomes
  `processing`, gets its accession, and one ConversionJob per image file is queued on the
  `conversion` queue (processing.jobs). The last job to succeed enqueues publication
  (publication.services).
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
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.publication.models import Publication
from submissions.uploads.models import DataFile, FileStatus

logger = logging.getLogger(__name__)


# --- Starting and retrying ----------------------------------------------------------------------


def files_to_convert(*, submission: Submission) -> list[DataFile]:
    """Image files: inspected ones with pixel data (or a vendor format), or not yet inspected."""
    files = submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED])
    return [
        f
        for f in files
        if f.status == FileStatus.VERIFIED
        or f.inspection.get("series")
        or f.inspection.get("needs_bioformats")
    ]


def files_to_keep(*, submission: Submission) -> list[DataFile]:
    """Originals to archive: every image file, plus attachments that are not images."""
    return list(submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED]))


def _queue_work(*, submission: Submission) -> None:
    """Create missing jobs and enqueue every queued one (or publication if none is left)."""
    now = timezone.now()
    for data_file in files_to_convert(submission=submission):
        ConversionJob.objects.get_or_create(
            data_file=data_file, defaults={"submission": submission, "due_at": now}
        )
    queued = list(
        ConversionJob.objects.filter(submission=submission, state=JobState.QUEUED).values_list(
            "pk", flat=True
        )
    )
    for job_id in queued:
        dispatch.convert_file(job_id=job_id)
    if not queued:
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
        reset = {
            "state": JobState.QUEUED,
            "attempts": 0,
            "claim_token": None,
            "due_at": timezone.now(),
            "error_kind": ErrorKind.NONE,
            "error_code": "",
            "error_message": "",
            "error_details": "",
        }
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
