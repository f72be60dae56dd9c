"""The beat job that heals stuck work: the database is the truth, the queue only a trigger.

Every PROCESSING_SWEEP_SECONDS it looks for work whose state has not moved within its
deadline and sends it again. Sending twice is harmless (every task claims its row with a
conditional update), so a lost message, a restarted Redis or a SIGKILLed worker only delays
work:
- running jobs and publications whose heartbeat is older than PROCESSING_STALE_SECONDS are
  taken back (or failed, after PROCESSING_MAX_ATTEMPTS) and queued again;
- queued ones overdue by PROCESSING_QUEUED_DEADLINE_SECONDS are sent again;
- approved submissions that never started, and verified files never inspected, likewise;
- submitted submissions whose images have no conversion job (the message of submit was
  lost) get their review copies started;
- review copies left behind by a rejected, withdrawn or published submission are deleted.
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
from submissions.processing import review_copies
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.processing.services import fail_submission
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
                    if isinstance(row, ConversionJob):
                        review_copies.give_back_space(reservation=row.review_reservation)
                        review_copies.conversion_failed(
                            job=row, message=reason, attempt=row.attempts, users_fault=False
                        )
                    else:
                        fail_submission(submission_id=row.submission_id, reason=reason)
                continue
            if mine.update(state=JobState.QUEUED, claim_token=None, due_at=timezone.now()):
                enqueue(row)
                count += 1
    return count


def _resend_overdue(model: type[ConversionJob] | type[Publication], enqueue: Any) -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.PROCESSING_QUEUED_DEADLINE_SECONDS)
    # Conversions run from submit on; a publication only while processing.
    statuses = (
        review_copies.CONVERTIBLE if model is ConversionJob else {SubmissionStatus.PROCESSING}
    )
    overdue = model._default_manager.filter(
        state=JobState.QUEUED,
        due_at__lt=cutoff,
        submission__status__in=statuses,
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


def _start_missing_review_copies(cutoff: Any) -> int:
    """Submitted before `cutoff` with an image file that has no job: start its review copy."""
    waiting = Submission.objects.filter(
        status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW],
        status_changed_at__lt=cutoff,
        files__status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED],
        files__conversion_job__isnull=True,
    ).distinct()
    count = 0
    for submission in waiting[:_BATCH]:
        with_jobs = set(
            ConversionJob.objects.filter(submission=submission).values_list(
                "data_file_id", flat=True
            )
        )
        if any(
            f.pk not in with_jobs
            for f in review_copies.files_to_convert(submission=submission, uninspected=False)
        ):
            with transaction.atomic():
                dispatch.start_review_copies(submission_id=submission.pk)
            count += 1
    return count


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
        "review_copies_started": 0,
        "review_copies_cleaned": 0,
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
    report["review_copies_started"] = _start_missing_review_copies(cutoff)
    discarded = ConversionJob.objects.filter(
        submission__status__in=review_copies.DISCARDED
    ).exclude(state=JobState.RUNNING)
    published = ConversionJob.objects.filter(submission__status=SubmissionStatus.PUBLISHED).exclude(
        review_prefix=""
    )
    leftovers = {
        str(pk)
        for queryset in (discarded, published)
        for pk in queryset.values_list("submission_id", flat=True)[:_BATCH]
    }
    for leftover in sorted(leftovers):
        with transaction.atomic():
            dispatch.clean_up_review_copies(submission_id=leftover)
        report["review_copies_cleaned"] += 1
    if any(report.values()):
        logger.info("sweeper re-sent stuck work: %s", report)
    return report
