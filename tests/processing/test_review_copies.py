"""Conversion on submission: every image becomes a private review copy in staging when the
researcher submits; approval publishes that copy without converting again.

Celery runs eagerly (in-process) and the converter is the real built-in one. The S3 case
runs against a moto server, as the other S3 tests do.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from submissions.accounts.models import User
from submissions.core import storage, treecopy
from submissions.core.errors import PortalError
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionEvent, SubmissionStatus
from submissions.processing import jobs as jobs_module
from submissions.processing.inspection import inspect_data_file
from submissions.processing.models import ConversionJob, JobState
from submissions.quotas.models import QuotaAccount, StorageArea
from submissions.quotas.services import ledger
from submissions.review import services as review
from submissions.uploads.models import FileStatus
from submissions.uploads.services.removal import remove_file
from tests import factories
from tests.conftest import signed_in
from tests.processing.conftest import add_file, ome_tiff_bytes

pytestmark = pytest.mark.django_db


def complete_draft(researcher: User, tmp: Path, files: int = 2) -> Submission:
    membership = researcher.memberships.first()
    submission = factories.CompleteSubmissionFactory(
        owner=researcher, facility=membership.facility, group=membership.group, with_file=False
    )
    for seed in range(files):
        data_file = add_file(submission, ome_tiff_bytes(tmp, seed=seed), name=f"cells_{seed}.tif")
        inspect_data_file(file_id=str(data_file.pk))
    return submission


def staging_used(submission: Submission) -> int:
    account = QuotaAccount.objects.get(
        facility=submission.facility, user=submission.owner, area=StorageArea.STAGING
    )
    return account.used_bytes + account.held_bytes


def review_tree(job: ConversionJob) -> dict[str, int]:
    return storage.list_tree(storage=storage.staging(), prefix=job.review_prefix)


@pytest.fixture
def decide(django_capture_on_commit_callbacks: Any, curator: User):
    def run(action: str, submission: Submission, **kwargs: Any) -> Submission:
        with django_capture_on_commit_callbacks(execute=True):
            getattr(review, action)(submission=submission, curator=curator, **kwargs)
        submission.refresh_from_db()
        return submission

    return run


def test_submitting_converts_every_image_into_a_private_review_copy(
    researcher: User, tmp_path: Path, submit
) -> None:
    submission = submit(complete_draft(researcher, tmp_path))

    assert submission.status == SubmissionStatus.SUBMITTED  # nobody has decided anything
    assert submission.accession is None
    jobs = list(ConversionJob.objects.filter(submission=submission))
    assert len(jobs) == 2
    for job in jobs:
        assert job.state == JobState.SUCCEEDED
        # One tree per attempt, under the job's folder: a converter that outlives its killed
        # worker writes beside the tree the job records, never into it.
        assert re.fullmatch(
            rf"review/{submission.pk}/{job.pk}/[0-9a-f]{{8}}\.ome\.zarr", job.review_prefix
        )
        assert job.source_sha256 == job.data_file.sha256
        tree = review_tree(job)
        assert "OME/METADATA.ome.xml" in tree
        assert (len(tree), sum(tree.values())) == (job.object_count, job.output_bytes)
        assert job.archive_prefix == ""
    # Nothing reaches the archive before a curator approves.
    file_ids = {str(job.data_file_id) for job in jobs}
    archived = storage.list_all(storage=storage.archive())
    assert not [key for key in archived if any(fid in key for fid in file_ids)]
    # The copies count against the submitter's staging quota, exactly.
    assert staging_used(submission) == sum(job.output_bytes for job in jobs)
    assert ledger.ledger_problems() == []


def test_approval_publishes_the_review_copy_without_converting_again(
    researcher: User, tmp_path: Path, submit, decide, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = submit(complete_draft(researcher, tmp_path))
    before = {
        job.pk: review_tree(job) for job in ConversionJob.objects.filter(submission=submission)
    }

    def no_converting(**kwargs: Any) -> None:
        raise AssertionError("approval must not convert again")

    monkeypatch.setattr(jobs_module, "convert_file", no_converting)
    submission = decide("approve", submission)

    assert submission.status == SubmissionStatus.PUBLISHED
    archive = storage.archive()
    for job in ConversionJob.objects.filter(submission=submission):
        assert job.attempts == 1  # converted once, at submit
        assert job.archive_prefix == f"datasets/APT-1/{job.data_file_id}.ome.zarr"
        assert storage.list_tree(storage=archive, prefix=job.archive_prefix) == before[job.pk]
        assert storage.exists(storage=archive, key=job.thumbnail_key)
        # The review copy is gone from staging and its quota is free again.
        assert job.review_prefix == ""
        leftovers = storage.list_all(storage=storage.staging())
        assert not [key for key in leftovers if key.startswith(f"review/{submission.pk}/")]
    manifest = json.loads(Path(archive.path("datasets/APT-1/manifest.json")).read_text())
    assert len([f for f in manifest["files"] if f.get("ome_zarr")]) == 2
    assert staging_used(submission) == 0
    assert ledger.ledger_problems() == []


def test_folder_publication_links_the_files_instead_of_copying(
    researcher: User, tmp_path: Path, submit
) -> None:
    submission = submit(complete_draft(researcher, tmp_path, files=1))
    job = ConversionJob.objects.get(submission=submission)
    staging, archive = storage.staging(), storage.archive()
    report = treecopy.copy_tree(
        source=staging,
        source_prefix=job.review_prefix,
        target=archive,
        target_prefix="datasets/APT-9/x.ome.zarr",
    )
    assert (report.object_count, report.total_bytes) == (job.object_count, job.output_bytes)
    for relative in review_tree(job):
        source = os.stat(staging.path(f"{job.review_prefix}/{relative}"))
        target = os.stat(archive.path(f"datasets/APT-9/x.ome.zarr/{relative}"))
        assert source.st_ino == target.st_ino  # the same bytes on disk, none copied
    # Copying again (a retried publication) lands on the same keys and changes nothing.
    again = treecopy.copy_tree(
        source=staging,
        source_prefix=job.review_prefix,
        target=archive,
        target_prefix="datasets/APT-9/x.ome.zarr",
    )
    assert again == report


def test_a_resubmission_converts_only_files_whose_bytes_changed(
    researcher: User, tmp_path: Path, submit, decide
) -> None:
    submission = submit(complete_draft(researcher, tmp_path))
    first = {j.data_file.name: j for j in ConversionJob.objects.filter(submission=submission)}
    decide("request_changes", submission, message="Replace the second image.")

    # The researcher removes both files and uploads the first again, byte for byte, and a
    # new second image.
    kept = submission.files.get(name="cells_0.tif")
    with storage.open_object(storage=storage.staging(), key=kept.storage_key) as handle:
        same_bytes = handle.read()
    for data_file in list(submission.files.all()):
        remove_file(datafile=data_file, user=researcher)
    same = add_file(submission, same_bytes, name="cells_0_again.tif")
    new = add_file(submission, ome_tiff_bytes(tmp_path, seed=7), name="cells_new.tif")
    for data_file in (same, new):
        inspect_data_file(file_id=str(data_file.pk))
    submission = submit(submission)

    jobs = {j.data_file.name: j for j in ConversionJob.objects.filter(submission=submission)}
    assert set(jobs) == {"cells_0_again.tif", "cells_new.tif"}
    reused = jobs["cells_0_again.tif"]
    assert reused.pk == first["cells_0.tif"].pk  # same SHA-256: the copy is kept
    assert reused.attempts == 1
    assert jobs["cells_new.tif"].pk not in {j.pk for j in first.values()}
    assert jobs["cells_new.tif"].state == JobState.SUCCEEDED
    # The replaced file's copy is deleted and its quota freed.
    assert not ConversionJob.objects.filter(pk=first["cells_1.tif"].pk).exists()
    assert review_tree(first["cells_1.tif"]) == {}
    assert staging_used(submission) == sum(j.output_bytes for j in jobs.values())
    assert SubmissionEvent.objects.filter(submission=submission, kind="review_copy").count() == 1
    assert ledger.ledger_problems() == []


@pytest.mark.parametrize("ending", ["reject", "withdraw"])
def test_rejection_or_withdrawal_deletes_the_review_copies_and_frees_their_quota(
    ending: str,
    researcher: User,
    tmp_path: Path,
    submit,
    decide,
    django_capture_on_commit_callbacks: Any,
) -> None:
    submission = submit(complete_draft(researcher, tmp_path))
    jobs = list(ConversionJob.objects.filter(submission=submission))
    assert staging_used(submission) > 0
    if ending == "reject":
        decide("reject", submission, reason="Out of scope for this facility.")
    else:
        decide("request_changes", submission, message="Please add the controls.")
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.withdraw(submission=submission, user=researcher)
    assert not ConversionJob.objects.filter(submission=submission).exists()
    for job in jobs:
        assert review_tree(job) == {}
    assert staging_used(submission) == 0
    assert ledger.ledger_problems() == []


def test_a_file_that_cannot_be_converted_is_shown_before_approval_and_stops_it(
    researcher: User, curator: User, tmp_path: Path, submit
) -> None:
    submission = complete_draft(researcher, tmp_path, files=1)
    # Its header passed inspection; its pixels cannot be read (what only converting finds).
    broken = add_file(
        submission,
        b"II*\x00" + b"\x00" * 64,
        name="broken.tif",
        status=FileStatus.INSPECTED,
        inspection={"series": [{"sizes": {"T": 1, "C": 1, "Z": 1, "Y": 64, "X": 64}}]},
    )
    mail.outbox.clear()
    submission = submit(submission)

    job = ConversionJob.objects.get(data_file=broken)
    assert job.state == JobState.FAILED
    assert job.error_kind == "user"
    event = SubmissionEvent.objects.get(submission=submission, kind="conversion_failed")
    assert event.note.startswith("broken.tif: ")
    assert submission.status == SubmissionStatus.SUBMITTED  # still the curators' to decide
    told = [m for m in mail.outbox if researcher.email in m.to]
    assert any("could not be converted" in m.subject for m in told)
    assert any("broken.tif" in m.body for m in told)
    # The researcher reads what to fix on the submission's page; the curators on the review
    # page, before any decision.
    detail = signed_in(researcher).get(f"/submissions/{submission.pk}/").content.decode()
    assert "An image could not be converted" in detail
    assert f"<strong>broken.tif</strong>: {job.error_message}" in detail
    page = signed_in(curator).get(f"/submissions/{submission.pk}/review/").content.decode()
    assert "Could not be converted" in page
    assert "Ready to view" in page  # the other image converted and is in the viewer
    assert f"/submissions/{submission.pk}/review-copies/" in page
    with pytest.raises(PortalError) as refused:
        review.approve(submission=submission, curator=curator)
    assert refused.value.http_status == 409
    assert "broken.tif" in refused.value.message
    assert ledger.ledger_problems() == []


def test_a_full_staging_quota_fails_the_review_copy_with_a_message_to_act_on(
    researcher: User, tmp_path: Path, submit, decide
) -> None:
    submission = complete_draft(researcher, tmp_path, files=1)
    factories.quota(facility=submission.facility, user=researcher, hard=1000)
    submission = submit(submission)
    job = ConversionJob.objects.get(submission=submission)
    assert job.state == JobState.FAILED
    assert job.error_code == "quota_exceeded"
    assert "staging space" in job.error_message
    assert staging_used(submission) == 0
    assert ledger.ledger_problems() == []

    # The curators ask for changes; the facility raises the limit; resubmitting converts it.
    decide("request_changes", submission, message="Your staging space is full.")
    factories.quota(facility=submission.facility, user=researcher, hard=None)
    submission = submit(submission)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert staging_used(submission) == job.output_bytes
    assert ledger.ledger_problems() == []


def test_on_s3_approval_copies_the_review_copy_server_side(
    s3_both, researcher: User, tmp_path: Path, submit, decide, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging_client, archive_client = s3_both
    submission = submit(complete_draft(researcher, tmp_path, files=1))
    job = ConversionJob.objects.get(submission=submission)
    review_keys = {
        item["Key"][len(job.review_prefix) + 1 :]: item["Size"]
        for item in staging_client.list_objects_v2(
            Bucket=staging_client.bucket, Prefix=job.review_prefix + "/"
        )["Contents"]
    }
    assert "OME/METADATA.ome.xml" in review_keys

    # No byte of the tree passes through Aperture: only CopyObject / UploadPartCopy. (The
    # manifest and the marker are written with PUT, as before.)
    client = storage.s3_client(storage.archive())
    put_keys: list[str] = []
    real_put = client.put_object

    def put_object(**kwargs: Any) -> Any:
        put_keys.append(kwargs["Key"])
        return real_put(**kwargs)

    monkeypatch.setattr(client, "put_object", put_object)
    for forbidden in ("upload_file", "upload_fileobj", "download_file", "download_fileobj"):
        monkeypatch.setattr(
            client, forbidden, lambda *a, _n=forbidden, **k: pytest.fail(f"{_n} called")
        )
    submission = decide("approve", submission)
    monkeypatch.undo()
    assert not [key for key in put_keys if ".ome.zarr/" in key]

    assert submission.status == SubmissionStatus.PUBLISHED
    job.refresh_from_db()
    archived = {
        item["Key"][len(job.archive_prefix) + 1 :]: item["Size"]
        for page in archive_client.get_paginator("list_objects_v2").paginate(
            Bucket=archive_client.bucket, Prefix=job.archive_prefix + "/"
        )
        for item in page.get("Contents", [])
    }
    assert archived == review_keys
    left = staging_client.list_objects_v2(Bucket=staging_client.bucket, Prefix="review/")
    assert left.get("KeyCount", 0) == 0
    assert ledger.ledger_problems() == []


def test_a_file_inspected_after_submit_gets_its_review_copy_then(
    researcher: User, tmp_path: Path, submit, django_capture_on_commit_callbacks: Any
) -> None:
    """Submitting waits for inspection (the submit gate), so this is the defensive path: a
    submission already in review whose file is inspected only now (a submission from before
    the gate, or an inspection the sweeper re-sent) still gets its review copy."""
    submission = complete_draft(researcher, tmp_path, files=1)
    submission = submit(submission)
    late = add_file(submission, ome_tiff_bytes(tmp_path, seed=3), name="late.tif")
    assert not ConversionJob.objects.filter(data_file=late).exists()

    with django_capture_on_commit_callbacks(execute=True):
        inspect_data_file(file_id=str(late.pk))
    job = ConversionJob.objects.get(data_file=late)
    assert job.state == JobState.SUCCEEDED
    assert review_tree(job)
