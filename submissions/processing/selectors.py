"""Reads for processing progress: what the researcher and the curators see of the work
after approval, and the inspected files."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import QuerySet

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob
from submissions.publication.models import Publication
from submissions.uploads.models import DataFile

logger = logging.getLogger(__name__)


# --- Progress -----------------------------------------------------------------------------------


@dataclass
class ProcessingView:
    submission: Submission
    jobs: list[ConversionJob]
    publication: Publication | None
    can_retry: bool
    # Curators see what went wrong on our side (error_details); researchers see error_message.
    show_details: bool
    active: bool
    overall: float


def processing_view(*, submission: Submission, user: User) -> ProcessingView:
    """What the researcher and curator see of a submission's background work."""
    jobs = list(
        ConversionJob.objects.filter(submission=submission)
        .select_related("data_file")
        .order_by("data_file__name", "created_at")
    )
    publication = Publication.objects.filter(submission=submission).first()
    active = submission.status in (SubmissionStatus.APPROVED, SubmissionStatus.PROCESSING)
    overall = sum(job.progress for job in jobs) / len(jobs) if jobs else 0.0
    if submission.status == SubmissionStatus.PUBLISHED:
        overall = 1.0
    curator = can_curate(user=user, submission=submission)
    return ProcessingView(
        submission=submission,
        jobs=jobs,
        publication=publication,
        can_retry=submission.status == SubmissionStatus.PROCESSING_FAILED and curator,
        show_details=curator,
        active=active,
        overall=overall,
    )


def inspected_files(*, submission: Submission) -> QuerySet[DataFile]:
    return submission.files.order_by("name", "created_at")
