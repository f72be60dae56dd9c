"""Reads for processing progress: what the researcher and the curators see of the work
after approval, and the inspected files."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate
from submissions.core.errors import NotFound
from submissions.core.viewer import ViewerImage, describe_image
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, JobState
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
        .exclude(data_file=None)  # a removed file's job is not part of the dataset
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


# --- Review copies ------------------------------------------------------------------------------


@dataclass
class ReviewImage:
    """One image file's review copy as the review page shows it (true states only)."""

    job: ConversionJob
    name: str
    file_id: str
    state: str  # queued, running, succeeded, failed
    stage: str
    percent: int
    message: str  # the researcher's wording of a failure
    details: str  # ours: curators only
    viewer: ViewerImage | None


def review_images(*, submission: Submission, user: User) -> list[ReviewImage]:
    """The conversion of each image file since submit, and where the viewer reads it: the
    private review copy through `review_copy_object`, or the archive once published."""
    curator = can_curate(user=user, submission=submission)
    jobs = (
        ConversionJob.objects.filter(submission=submission)
        .exclude(data_file=None)
        .select_related("data_file")
        .order_by("data_file__name", "created_at")
    )
    images = []
    for job in jobs:
        data_file = job.data_file
        assert data_file is not None
        url = ""
        if job.state == JobState.SUCCEEDED and job.review_prefix:
            url = reverse("submission-review-copy-root", args=[submission.pk, data_file.pk])
        elif job.state == JobState.SUCCEEDED and job.archive_prefix and submission.accession:
            url = reverse("dataset-zarr-root", args=[submission.accession, str(data_file.pk)])
        viewer = (
            ViewerImage(
                name=data_file.name,
                url=url,
                description=describe_image(data_file.inspection),
                file_id=str(data_file.pk),
            )
            if url
            else None
        )
        images.append(
            ReviewImage(
                job=job,
                name=data_file.name,
                file_id=str(data_file.pk),
                state=job.state,
                stage=job.stage,
                percent=round(job.progress * 100),
                message=job.error_message,
                details=job.error_details if curator else "",
                viewer=viewer,
            )
        )
    return images


def review_copy_key(*, submission: Submission, file_id: str, path: str) -> str:
    """The staging key of one object of a file's review copy; NotFound for anything else."""
    job = (
        ConversionJob.objects.filter(
            submission=submission, data_file__pk=file_id, state=JobState.SUCCEEDED
        )
        .exclude(review_prefix="")
        .first()
    )
    parts = [part for part in path.split("/") if part]
    if job is None or not parts or any(part in {".", ".."} for part in parts):
        raise NotFound("No such object.")
    return f"{job.review_prefix}/{'/'.join(parts)}"


def failed_review_copies(*, submission: Submission) -> list[dict[str, str]]:
    """Images whose conversion failed because of the file: what the researcher must fix."""
    jobs = (
        ConversionJob.objects.filter(
            submission=submission, state=JobState.FAILED, error_kind="user"
        )
        .exclude(data_file=None)
        .select_related("data_file")
        .order_by("data_file__name")
    )
    return [
        {"name": job.data_file.name, "message": job.error_message, "file_id": str(job.data_file.pk)}
        for job in jobs
        if job.data_file is not None
    ]
