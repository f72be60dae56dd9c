"""The beat job that heals stuck work: the database is the truth, the queue only a trigger.

Every PROCESSING_SWEEP_SECONDS it looks for work whose state has not moved within its
deadline and sends it again. Sending twice is harmless (every task claims its row with a
conditional update), so a lost message, a restarted Redis or a SIGKILLed worker only delays
work:
- running jobs and publications whose heartbeat is older than PROCESSING_STALE_SECONDS are
  taken back (or failed, after PROCESSING_MAX_ATTEMPTS) and queued again;
- queued ones overdue by PROCESSING_QUEUED_DEADLINE_SECONDS are sent again;
- approved submissions that never started, and verified files never inspected, likewise.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.core import dispatch
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.processing.services import (
    fail_submission,
)
from submissions.publication.models import Publication
from submissions.uploads.models import DataFile, FileStatus

logger = logging.getLogger(__name__)
_BATCH = 200


def _take_back_stale(model: type[ConversionJob] | type[Publication], enqueue: Any) -> int:
    """RUNNING rows with a stale heartbeat -> QUEUED (or FAILED after too many attempts)."""
    cutoff = timezone.now() - timedelta(seconds=settings.PROCESSING_STALE_SECONDS)
    stale = model._default_manager.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff)
    count = 0
    rows: list[Any] = list(stale[:_BATCH])
    for row in rows:
        mine = model._default_manager.filter(
            pk=row.pk, state=JobState.RUNNING, claim_token=row.claim_token
        )
        with transaction.atomic():
            if row.attempts >= settings.PROCESSING_MAX_ATTEMPTS:
                reason = "The worker stopped responding on every attempt."
                if mine.update(
                    state=JobState.FAILED,
                    finished_at=timezone.now(),
                    error_kind=ErrorKind.APPLICATION,
                    error_code="worker_lost",
                    error_message=reason,
                ):
                    fail_submission(submission_id=row.submission_id, reason=reason)
                continue
            if mine.update(state=JobState.QUEUED, claim_token=None, due_at=timezone.now()):
                enqueue(row)
                count += 1
    return count


def _resend_overdue(model: type[ConversionJob] | type[Publication], enqueue: Any) -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.PROCESSING_QUEUED_DEADLINE_SECONDS)
    overdue = model._default_manager.filter(
        state=JobState.QUEUED,
        due_at__lt=cutoff,
        submission__status=SubmissionStatus.PROCESSING,
    )
    count = 0
    rows: list[Any] = list(overdue[:_BATCH])
    for row in rows:
        # Moving due_at means the next sweep waits a full deadline before sending again.
        with transaction.atomic():
            if model._default_manager.filter(
                pk=row.pk, state=JobState.QUEUED, due_at=row.due_at
            ).update(due_at=timezone.now()):
                enqueue(row)
                count += 1
    return count


def _publication_ready(publication: Publication) -> bool:
    return (
        not ConversionJob.objects.filter(submission_id=publication.submission_id)
        .exclude(state=JobState.SUCCEEDED)
        .exists()
    )


def sweep_stuck_work() -> dict[str, int]:
    def send_job(job: ConversionJob) -> None:
        dispatch.convert_file(job_id=job.pk)

    def send_publication(publication: Publication) -> None:
        if _publication_ready(publication):
            dispatch.publish_dataset(submission_id=publication.submission_id)

    cutoff = timezone.now() - timedelta(seconds=settings.PROCESSING_QUEUED_DEADLINE_SECONDS)
    report = {
        "stale_jobs": _take_back_stale(ConversionJob, send_job),
        "stale_publications": _take_back_stale(Publication, send_publication),
        "overdue_jobs": _resend_overdue(ConversionJob, send_job),
        "overdue_publications": _resend_overdue(Publication, send_publication),
        "approved": 0,
        "uninspected": 0,
    }
    approved = Submission.objects.filter(
        status=SubmissionStatus.APPROVED, status_changed_at__lt=cutoff
    ).values_list("pk", flat=True)[:_BATCH]
    for submission_id in approved:
        with transaction.atomic():
            dispatch.start_processing(submission_id=submission_id)
        report["approved"] += 1
    uninspected = DataFile.objects.filter(
        status=FileStatus.VERIFIED, verified_at__lt=cutoff
    ).values_list("pk", flat=True)[:_BATCH]
    for file_id in uninspected:
        with transaction.atomic():
            dispatch.inspect_file(file_id=file_id)
        report["uninspected"] += 1
    if any(report.values()):
        logger.info("sweeper re-sent stuck work: %s", report)
    return report
