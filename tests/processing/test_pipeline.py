"""Approval leads, with no human step, to a published, validated OME-Zarr dataset.

Celery runs eagerly here (in-process); the converter is the real built-in one, run as a
child process. tests/processing/test_faults.py drives a real worker instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from submissions.accounts.models import User
from submissions.conversion.errors import ApplicationError
from submissions.core import storage
from submissions.lifecycle.models import AccessionCounter, SubmissionEvent, SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.processing.jobs import run_conversion
from submissions.processing.models import ConversionJob, JobState
from submissions.publication.models import Publication
from submissions.publication.services import publish_dataset
from submissions.review import services as review
from tests.conversion.conftest import write_czi
from tests.conversion.standin import write_standin
from tests.processing.conftest import add_file, make_submission


def archive_path(key: str) -> Path:
    return Path(storage.archive().path(key))


def approve(submission, curator, capture) -> None:
    with capture(execute=True):
        review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()


@pytest.mark.django_db
def test_approval_publishes_the_dataset_with_no_human_step(
    submitted, curator: User, django_capture_on_commit_callbacks
) -> None:
    approve(submitted, curator, django_capture_on_commit_callbacks)

    assert submitted.status == SubmissionStatus.PUBLISHED
    assert submitted.accession == "APT-1"
    statuses = list(
        SubmissionEvent.objects.filter(submission=submitted, kind="status").values_list(
            "to_status", flat=True
        )
    )
    assert statuses == ["approved", "processing", "published"]
    jobs = list(ConversionJob.objects.filter(submission=submitted))
    assert len(jobs) == 2
    for job in jobs:
        assert job.state == JobState.SUCCEEDED
        assert job.progress == 1.0
        assert job.provenance["converter"] == "aperture-builtin"
        assert job.provenance["converter_version"]
        assert job.provenance["args"]
        assert job.provenance["input_sha256"] == job.data_file.sha256
        assert job.provenance["convert_seconds"] >= 0
        root = archive_path(f"datasets/APT-1/{job.data_file_id}.ome.zarr")
        assert (root / "OME" / "METADATA.ome.xml").is_file()
        # The pixels made it: the archive copy opens and has the source's shape.
        level0 = zarr.open_array(str(root / "0" / "0"), mode="r")
        assert level0.shape == (1, 2, 3, 70, 90)
        on_disk = [p for p in root.rglob("*") if p.is_file()]
        assert len(on_disk) == job.object_count
        assert sum(p.stat().st_size for p in on_disk) == job.output_bytes
        assert archive_path(job.thumbnail_key).read_bytes().startswith(b"\x89PNG")
        original = archive_path(f"datasets/APT-1/{job.data_file_id}.original")
        assert original.stat().st_size == job.data_file.size
    marker = json.loads(archive_path("datasets/APT-1/.published").read_text())
    assert marker["accession"] == "APT-1"
    manifest = json.loads(archive_path("datasets/APT-1/manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == {"cells_a.ome.tif", "cells_b.ome.tif"}
    publication = Publication.objects.get(submission=submitted)
    assert publication.state == JobState.SUCCEEDED
    assert publication.marker_written_at


@pytest.mark.django_db
def test_duplicate_messages_change_nothing(
    submitted, curator: User, django_capture_on_commit_callbacks
) -> None:
    approve(submitted, curator, django_capture_on_commit_callbacks)
    job = ConversionJob.objects.filter(submission=submitted).first()
    with django_capture_on_commit_callbacks(execute=True):
        run_conversion(job_id=str(job.pk))
        publish_dataset(submission_id=str(submitted.pk))
    job.refresh_from_db()
    assert job.attempts == 1
    assert SubmissionEvent.objects.filter(submission=submitted, to_status="published").count() == 1


@pytest.mark.django_db
def test_accession_numbers_are_never_reused(
    researcher: User, curator: User, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    accessions = []
    for _ in range(2):
        submission = make_submission(researcher=researcher)
        approve(submission, curator, django_capture_on_commit_callbacks)
        accessions.append(submission.accession)
    assert accessions == ["APT-1", "APT-2"]
    # A dataset that failed or was deleted keeps its number: the counter never goes back.
    submission.delete()
    third = make_submission(researcher=researcher)
    approve(third, curator, django_capture_on_commit_callbacks)
    assert third.accession == "APT-3"
    assert AccessionCounter.objects.get(prefix="APT").next_value == 4


@pytest.mark.django_db
def test_a_corrupt_file_fails_with_a_reason_and_curators_can_retry(
    researcher: User,
    curator: User,
    facility_admin: User,
    outsider: User,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:
    from submissions.core.errors import NotFound, PermissionDenied
    from submissions.lifecycle import selectors
    from submissions.processing.services import retry_processing

    submission = make_submission(researcher=researcher)
    # Looks like a TIFF (so it was accepted) but is cut short after the header.
    add_file(submission, b"II*\x00\x08\x00\x00\x00" + b"\x00" * 40, name="truncated.tif")
    approve(submission, curator, django_capture_on_commit_callbacks)

    assert submission.status == SubmissionStatus.PROCESSING_FAILED
    job = ConversionJob.objects.get(submission=submission)
    assert job.state == JobState.FAILED
    assert job.error_kind == "user"
    assert "truncated.tif" in job.error_message
    last = SubmissionEvent.objects.filter(submission=submission).last()
    assert last.to_status == "processing_failed"
    assert "truncated.tif" in last.note

    with pytest.raises(PermissionDenied):
        retry_processing(submission=submission, user=researcher)
    with pytest.raises(NotFound):
        selectors.get_submission(user=outsider, submission_id=str(submission.pk))
    with django_capture_on_commit_callbacks(execute=True):
        retry_processing(submission=submission, user=facility_admin, note="Try again")
    job.refresh_from_db()
    submission.refresh_from_db()
    assert job.attempts == 1
    assert job.state == JobState.FAILED
    assert submission.status == SubmissionStatus.PROCESSING_FAILED


@pytest.mark.django_db
def test_bioformats2raw_output_push_is_retried_inside_the_attempt(
    submitted,
    curator: User,
    monkeypatch: pytest.MonkeyPatch,
    settings,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:
    # bioformats2raw writes folders, so its output is still pushed from scratch (stand-in:
    # tests/conversion/fake_bioformats2raw.py, the real program is not installable here).
    from botocore.exceptions import EndpointConnectionError

    settings.BIOFORMATS2RAW = str(write_standin(tmp_path))
    real_upload = storage.upload_tree
    failures = {"left": 2}

    def flaky_upload(**kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise EndpointConnectionError(endpoint_url="http://s3.invalid")
        return real_upload(**kwargs)

    monkeypatch.setattr(storage, "upload_tree", flaky_upload)
    approve(submitted, curator, django_capture_on_commit_callbacks)
    assert submitted.status == SubmissionStatus.PUBLISHED
    assert failures["left"] == 0
    # The push is retried inside the attempt: the conversion is not redone.
    assert list(ConversionJob.objects.values_list("attempts", flat=True)) == [1, 1]


@pytest.mark.django_db
def test_builtin_conversion_is_written_in_place_with_no_push(
    submitted, curator: User, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    def no_second_pass(**kwargs):
        raise AssertionError("the converted tree was pushed a second time")

    monkeypatch.setattr(storage, "upload_tree", no_second_pass)
    approve(submitted, curator, django_capture_on_commit_callbacks)

    assert submitted.status == SubmissionStatus.PUBLISHED
    for job in ConversionJob.objects.filter(submission=submitted):
        listed = storage.list_tree(storage=storage.archive(), prefix=job.archive_prefix)
        assert (len(listed), sum(listed.values())) == (job.object_count, job.output_bytes)
        assert job.provenance["validation"]["ngff_version"] == "0.5"
        assert "push_seconds" not in job.provenance
        shards = [key for key in listed if "/c/" in key]
        assert len(shards) == job.provenance["validation"]["series"][0]["levels"]
    assert not list(Path(storage.archive().path("datasets")).rglob(".*partial*"))


@pytest.mark.django_db
def test_transient_storage_errors_while_writing_are_retried_then_publish(
    submitted, curator: User, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    # What the runner raises when the converter child reports an unreachable store (see
    # tests/conversion/test_s3_target.py for the child's side of it).
    from submissions.processing import jobs

    real_convert = jobs.convert_file
    failures = {"left": 2}

    def flaky_convert(**kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise ApplicationError(code="storage_unavailable", message="down", transient=True)
        return real_convert(**kwargs)

    monkeypatch.setattr(jobs, "convert_file", flaky_convert)
    approve(submitted, curator, django_capture_on_commit_callbacks)
    assert submitted.status == SubmissionStatus.PUBLISHED
    assert failures["left"] == 0
    # Two files, two failed attempts between them: each failure costs one more attempt.
    assert sum(ConversionJob.objects.values_list("attempts", flat=True)) == 2 + 2


@pytest.mark.django_db
def test_transient_errors_give_up_after_a_bounded_number_of_attempts(
    submitted,
    curator: User,
    monkeypatch: pytest.MonkeyPatch,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    from submissions.processing import jobs

    settings.PROCESSING_MAX_ATTEMPTS = 2

    def broken(**kwargs):
        raise ApplicationError(code="storage_unavailable", message="down", transient=True)

    monkeypatch.setattr(jobs, "convert_file", broken)
    approve(submitted, curator, django_capture_on_commit_callbacks)
    assert submitted.status == SubmissionStatus.PROCESSING_FAILED
    job = ConversionJob.objects.filter(state=JobState.FAILED).first()
    assert job.attempts == 2
    assert job.error_code == "storage_unavailable"


@pytest.mark.django_db
def test_a_czi_submission_is_published_without_bioformats(
    researcher: User, curator: User, tmp_path: Path, settings, django_capture_on_commit_callbacks
) -> None:
    # The default deployment: no bioformats2raw, so the built-in converter reads the CZI.
    settings.BIOFORMATS2RAW = ""
    data = np.random.default_rng(4).integers(0, 4000, size=(2, 3, 70, 90), dtype=np.uint16)
    czi = write_czi(
        tmp_path / "embryo.czi", data, channel_names=["DAPI", "GFP"], pixel_size_um=(2, 0.5, 0.5)
    )
    submission = make_submission(
        researcher=researcher,
        metadata={"study": {"title": "Zebrafish embryo", "description": "Confocal stack."}},
    )
    data_file = add_file(submission, czi.read_bytes(), name="embryo.czi")
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    assert data_file.inspection["format_name"] == "Zeiss CZI"
    assert not data_file.inspection["needs_bioformats"]

    approve(submission, curator, django_capture_on_commit_callbacks)

    assert submission.status == SubmissionStatus.PUBLISHED
    job = ConversionJob.objects.get(data_file=data_file)
    assert job.provenance["converter"] == "aperture-builtin"
    root = archive_path(f"datasets/{submission.accession}/{data_file.pk}.ome.zarr")
    level0 = zarr.open_array(str(root / "0" / "0"), mode="r")
    np.testing.assert_array_equal(level0[0], data)
