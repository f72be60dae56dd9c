"""The sweeper re-sends work whose state has not moved within its deadline."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, JobState
from submissions.processing.sweeper import sweep_stuck_work
from submissions.publication.models import Publication
from submissions.uploads.models import FileStatus
from tests.processing.conftest import add_file, make_submission

LONG_AGO = timedelta(hours=1)


@pytest.fixture
def sent():
    with (
        mock.patch("submissions.processing.tasks.convert_file.apply_async") as convert,
        mock.patch("submissions.publication.tasks.publish_dataset.apply_async") as publish,
        mock.patch("submissions.processing.tasks.start_processing.apply_async") as start,
        mock.patch("submissions.processing.tasks.inspect_file.apply_async") as inspect,
    ):
        yield {"convert": convert, "publish": publish, "start": start, "inspect": inspect}


def job_in(researcher, *, state: str, attempts: int = 1, age: timedelta = LONG_AGO):
    submission = make_submission(researcher=researcher, status=SubmissionStatus.PROCESSING)
    Publication.objects.create(
        submission=submission, accession=f"T-{uuid.uuid4().hex[:6]}", due_at=timezone.now()
    )
    data_file = add_file(submission, b"II*\x00" + b"\x00" * 60, status=FileStatus.INSPECTED)
    then = timezone.now() - age
    return ConversionJob.objects.create(
        submission=submission,
        data_file=data_file,
        state=state,
        attempts=attempts,
        claim_token=uuid.uuid4() if state == JobState.RUNNING else None,
        heartbeat_at=then,
        due_at=then,
    )


@pytest.mark.django_db
def test_a_running_job_whose_heartbeat_stopped_is_queued_again(
    researcher, sent, django_capture_on_commit_callbacks
) -> None:
    job = job_in(researcher, state=JobState.RUNNING)
    fresh = job_in(researcher, state=JobState.RUNNING, age=timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work()
    assert report["stale_jobs"] == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert job.claim_token is None
    assert fresh.state == JobState.RUNNING
    sent["convert"].assert_called_once_with(kwargs={"job_id": str(job.pk)}, countdown=None)


@pytest.mark.django_db
def test_a_job_lost_too_often_fails_the_submission_with_a_reason(
    researcher, settings, sent, django_capture_on_commit_callbacks
) -> None:
    job = job_in(researcher, state=JobState.RUNNING, attempts=settings.PROCESSING_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_stuck_work()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error_code == "worker_lost"
    job.submission.refresh_from_db()
    assert job.submission.status == SubmissionStatus.PROCESSING_FAILED
    sent["convert"].assert_not_called()


@pytest.mark.django_db
def test_queued_work_whose_message_was_lost_is_sent_again_once_per_deadline(
    researcher, sent, django_capture_on_commit_callbacks
) -> None:
    job = job_in(researcher, state=JobState.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stuck_work()["overdue_jobs"] == 1
        assert sweep_stuck_work()["overdue_jobs"] == 0  # not again before the next deadline
    sent["convert"].assert_called_once()
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


@pytest.mark.django_db
def test_approved_submissions_and_uninspected_files_are_sent_again(
    researcher, sent, django_capture_on_commit_callbacks
) -> None:

    submission = make_submission(researcher=researcher, status=SubmissionStatus.APPROVED)
    Submission.objects.filter(pk=submission.pk).update(status_changed_at=timezone.now() - LONG_AGO)
    draft = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(draft, b"II*\x00" + b"\x00" * 60)
    type(data_file).objects.filter(pk=data_file.pk).update(verified_at=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work()
    assert report["approved"] == 1
    assert report["uninspected"] == 1
    sent["start"].assert_called_once_with(
        kwargs={"submission_id": str(submission.pk)}, countdown=None
    )
    sent["inspect"].assert_called_once_with(kwargs={"file_id": str(data_file.pk)}, countdown=None)


@pytest.fixture
def review_copy_tasks():
    with (
        mock.patch("submissions.processing.tasks.start_review_copies.apply_async") as start,
        mock.patch("submissions.processing.tasks.clean_up_review_copies.apply_async") as clean,
    ):
        yield {"start": start, "clean": clean}


@pytest.mark.django_db
def test_a_submission_whose_review_copies_never_started_is_started(
    researcher, sent, review_copy_tasks, django_capture_on_commit_callbacks
) -> None:
    lost = make_submission(researcher=researcher, status=SubmissionStatus.SUBMITTED)
    add_file(  # an inspected image, never converted
        lost,
        b"II*\x00" + b"\x00" * 60,
        status=FileStatus.INSPECTED,
        inspection={"series": [{"sizes": {"X": 8, "Y": 8}}]},
    )
    add_file(lost, b"II*\x00" + b"\x00" * 60, name="later.tif")  # inspection will start it
    attachment_only = make_submission(researcher=researcher, status=SubmissionStatus.SUBMITTED)
    add_file(
        attachment_only,
        b"%PDF-1.7",
        name="protocol.pdf",
        status=FileStatus.INSPECTED,
        inspection={"attachment": True},
    )

    Submission.objects.update(status_changed_at=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work()
    assert report["review_copies_started"] == 1  # an attachment is never converted
    (call,) = review_copy_tasks["start"].call_args_list
    assert call.kwargs["kwargs"] == {"submission_id": str(lost.pk)}


@pytest.mark.django_db
def test_an_overdue_review_copy_of_a_submission_waiting_for_review_is_sent_again(
    researcher, sent, review_copy_tasks, django_capture_on_commit_callbacks
) -> None:
    job = job_in(researcher, state=JobState.QUEUED)

    Submission.objects.filter(pk=job.submission_id).update(status=SubmissionStatus.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work()
    assert report["overdue_jobs"] == 1
    assert sent["convert"].call_args.kwargs["kwargs"] == {"job_id": str(job.pk)}


@pytest.mark.django_db
def test_review_copies_left_by_a_rejected_submission_are_cleaned_up(
    researcher, sent, review_copy_tasks, django_capture_on_commit_callbacks
) -> None:
    job = job_in(researcher, state=JobState.SUCCEEDED)
    running = job_in(researcher, state=JobState.RUNNING, age=timedelta(seconds=1))

    Submission.objects.filter(pk__in=[job.submission_id, running.submission_id]).update(
        status=SubmissionStatus.REJECTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work()
    # The running one is left to its worker, whose end sends the clean-up itself.
    assert report["review_copies_cleaned"] == 1
    (call,) = review_copy_tasks["clean"].call_args_list
    assert call.kwargs["kwargs"] == {"submission_id": str(job.submission_id)}
