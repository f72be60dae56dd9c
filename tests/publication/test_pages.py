"""The landing page of a published dataset (public or embargoed), its JSON and downloads,
and the live processing progress for the researcher and the curator."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, JobState
from submissions.review import services as review
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes


@pytest.fixture
def published(submitted: Submission, curator: User, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.PUBLISHED
    return submitted


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_world_reads_the_landing_page_files_and_checksums(published: Submission) -> None:
    page = Client().get(f"/datasets/{published.accession}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert published.title in html
    for data_file in published.files.all():
        assert data_file.name in html
        assert data_file.sha256 in html
    file = published.files.order_by("name").first()
    download = Client().get(f"/datasets/{published.accession}/files/{file.pk}/original")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == file.sha256
    assert file.name in download["Content-Disposition"]
    thumb = Client().get(f"/datasets/{published.accession}/files/{file.pk}/thumbnail.png")
    assert b"".join(thumb.streaming_content).startswith(b"\x89PNG")
    zarr_json = Client().get(f"/datasets/{published.accession}/files/{file.pk}.ome.zarr/zarr.json")
    assert zarr_json.status_code == 200


@pytest.mark.django_db
def test_the_json_endpoint_describes_the_dataset(published: Submission) -> None:
    document = Client().get(f"/datasets/{published.accession}/metadata.json").json()
    assert document["accession"] == published.accession
    assert document["metadata"]["study"]["title"] == "HeLa mitochondria"
    assert len(document["files"]) == 2
    entry = document["files"][0]
    assert entry["sha256"]
    assert entry["ome_zarr"]["objects"] > 0
    assert entry["ome_zarr"]["converter"]["name"] == "aperture-builtin"
    assert entry["download_url"].startswith("http://testserver/datasets/")


@pytest.mark.django_db
def test_an_embargoed_dataset_shows_only_its_release_date_to_the_world(
    submitted: Submission, curator: User, researcher: User, django_capture_on_commit_callbacks
) -> None:
    release = dt.date.today() + dt.timedelta(days=30)
    Submission.objects.filter(pk=submitted.pk).update(
        metadata={"study": {"title": "x", "release_date": release.isoformat()}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    published = Submission.objects.get(pk=submitted.pk)
    assert published.status == SubmissionStatus.PUBLISHED
    file = published.files.first()
    public = Client().get(f"/datasets/{published.accession}/")
    assert public.status_code == 200
    assert "Under embargo until" in public.content.decode()
    assert file.name not in public.content.decode()
    assert "files" not in Client().get(f"/datasets/{published.accession}/metadata.json").json()
    hidden = Client().get(f"/datasets/{published.accession}/files/{file.pk}/original")
    assert hidden.status_code == 404
    own = signed_in(researcher).get(f"/datasets/{published.accession}/")
    assert file.name in own.content.decode()


@pytest.mark.django_db
def test_unknown_or_unpublished_datasets_are_not_found(submitted: Submission) -> None:
    assert Client().get("/datasets/APT-999/").status_code == 404
    assert Client().get("/datasets/<script>/").status_code == 404
    Submission.objects.filter(pk=submitted.pk).update(accession="APT-7")
    assert Client().get("/datasets/APT-7/").status_code == 404  # processing, not published


@pytest.mark.django_db
def test_objects_outside_the_dataset_cannot_be_fetched(published: Submission) -> None:
    file = published.files.first()
    base = f"/datasets/{published.accession}/files/{file.pk}.ome.zarr"
    assert Client().get(f"{base}/../../manifest.json").status_code == 404
    assert Client().get(f"{base}/%2e%2e/%2e%2e/.published").status_code == 404
    other = f"/datasets/{published.accession}/files/00000000-0000-0000-0000-000000000000/original"
    assert Client().get(other).status_code == 404


@pytest.mark.django_db
def test_progress_shows_each_file_and_provenance_to_researcher_and_curator(
    published: Submission, researcher: User, curator: User, outsider: User
) -> None:
    for user in (researcher, curator):
        html = signed_in(user).get(f"/submissions/{published.pk}/processing/partial/")
        text = html.content.decode()
        assert text.count("<progress") == 3  # overall + one per file
        assert "aperture-builtin" in text
        assert "Input SHA-256" in text
        assert 'hx-trigger="every 2s"' not in text  # published: polling stops
    assert signed_in(outsider).get(f"/submissions/{published.pk}/processing/").status_code == 404


@pytest.mark.django_db
def test_a_running_job_polls_and_only_curators_see_the_retry_button(
    researcher: User, curator: User, tmp_path
) -> None:
    submission = make_submission(researcher=researcher, status=SubmissionStatus.PROCESSING)
    data_file = add_file(submission, ome_tiff_bytes(tmp_path))
    from django.utils import timezone

    job = ConversionJob.objects.create(
        submission=submission,
        data_file=data_file,
        state=JobState.RUNNING,
        progress=0.42,
        due_at=timezone.now(),
        stage="converting",
    )
    text = signed_in(researcher).get(f"/submissions/{submission.pk}/processing/").content.decode()
    assert 'hx-trigger="every 2s"' in text
    assert 'value="0.420"' in text
    ConversionJob.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, error_kind="user", error_message="The file is damaged."
    )
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.PROCESSING_FAILED)
    mine = signed_in(researcher).get(f"/submissions/{submission.pk}/processing/").content.decode()
    assert "Problem with the file: The file is damaged." in mine
    assert "Retry processing" not in mine
    theirs = signed_in(curator).get(f"/submissions/{submission.pk}/processing/").content.decode()
    assert "Retry processing" in theirs
    refused = signed_in(researcher).post(f"/submissions/{submission.pk}/processing/retry/")
    assert refused.status_code == 403


@pytest.mark.django_db
def test_the_api_reports_progress_and_retries(
    researcher: User, curator: User, published: Submission
) -> None:
    from tests.conftest import client_for

    body = client_for(researcher).get(f"/api/v1/submissions/{published.pk}/processing/").json()
    assert body["status"] == "published"
    assert len(body["jobs"]) == 2
    assert body["jobs"][0]["provenance"]["input_sha256"]
    again = client_for(curator).post(f"/api/v1/submissions/{published.pk}/processing/retry/")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
