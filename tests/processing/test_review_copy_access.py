"""Who may read a review copy (and a change point's screenshot): the submitter, their group
and the facility's curators. Everyone else, signed in or not, gets 404, whole or by range.

Review copies are made by the real built-in converter at submit (Celery eager)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from submissions.accounts.models import Role, User
from submissions.lifecycle.models import Submission
from submissions.processing.models import ConversionJob
from submissions.review import services as review
from submissions.review.services import ChangePoint
from tests import factories
from tests.conftest import signed_in
from tests.processing.test_review_copies import complete_draft

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # the signature is what the service checks


@pytest.fixture
def submitted(researcher: User, tmp_path: Path, django_capture_on_commit_callbacks: Any):
    submission = complete_draft(researcher, tmp_path, files=1)
    with django_capture_on_commit_callbacks(execute=True):
        review.submit(submission=submission, user=researcher)
    submission.refresh_from_db()
    return submission


def urls(submission: Submission) -> list[str]:
    job = ConversionJob.objects.get(submission=submission)
    root = f"/submissions/{submission.pk}/review-copies/{job.data_file_id}.ome.zarr/"
    return [root + "zarr.json", root + "OME/METADATA.ome.xml"]


def people(facility: Any, researcher: User, curator: User, outsider: User) -> dict[str, User]:
    membership = researcher.memberships.first()
    lab_mate = factories.member(facility=facility, role=Role.RESEARCHER, group=membership.group)
    other_lab = factories.member(
        facility=facility, role=Role.RESEARCHER, group=factories.GroupFactory(facility=facility)
    )
    return {
        "submitter": researcher,
        "lab mate": lab_mate,
        "curator": curator,
        "other lab": other_lab,
        "outsider": outsider,
    }


def test_the_submitter_their_group_and_curators_read_the_review_copy_by_range(
    submitted: Submission, facility, researcher: User, curator: User, outsider: User
) -> None:
    everyone = people(facility, researcher, curator, outsider)
    for who in ("submitter", "lab mate", "curator"):
        client = signed_in(everyone[who])
        for url in urls(submitted):
            whole = client.get(url)
            assert whole.status_code == 200, (who, url)
            body = b"".join(whole.streaming_content)
            assert len(body) == int(whole["Content-Length"]) > 20
            assert "private" in whole["Cache-Control"]
            part = client.get(url, HTTP_RANGE="bytes=5-14")
            assert part.status_code == 206
            assert part["Content-Range"] == f"bytes 5-14/{len(body)}"
            assert b"".join(part.streaming_content) == body[5:15]
            tail = client.get(url, HTTP_RANGE="bytes=-4")
            assert b"".join(tail.streaming_content) == body[-4:]
            beyond = client.get(url, HTTP_RANGE=f"bytes={len(body) + 10}-")
            assert beyond.status_code == 416


def test_anyone_else_gets_404_whole_or_by_range(
    submitted: Submission, facility, researcher: User, curator: User, outsider: User
) -> None:
    everyone = people(facility, researcher, curator, outsider)
    clients = {who: signed_in(everyone[who]) for who in ("other lab", "outsider")}
    clients["nobody signed in"] = Client()
    for who, client in clients.items():
        for url in [*urls(submitted), urls(submitted)[0].rsplit("/", 1)[0] + "/"]:
            for headers in ({}, {"HTTP_RANGE": "bytes=0-9"}, {"HTTP_RANGE": "bytes=-1"}):
                response = client.get(url, **headers)
                assert response.status_code == 404, (who, url, headers)
                assert "Content-Range" not in response
            assert client.head(url).status_code == 404


def test_paths_outside_the_tree_and_other_submissions_files_are_404(
    submitted: Submission, researcher: User, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    other = complete_draft(researcher, tmp_path, files=1)
    with django_capture_on_commit_callbacks(execute=True):
        review.submit(submission=other, user=researcher)
    client = signed_in(researcher)
    other_file = ConversionJob.objects.get(submission=other).data_file_id
    job = ConversionJob.objects.get(submission=submitted)
    base = f"/submissions/{submitted.pk}/review-copies"
    for url in (
        f"{base}/{other_file}.ome.zarr/zarr.json",  # a file of another submission
        f"{base}/{job.data_file_id}.ome.zarr/../../uploads/x",
        f"{base}/{job.data_file_id}.ome.zarr/0/does-not-exist",
    ):
        assert client.get(url).status_code == 404, url


def test_a_change_point_screenshot_is_served_only_to_those_who_see_the_submission(
    submitted: Submission, facility, researcher: User, curator: User, outsider: User
) -> None:
    job = ConversionJob.objects.get(submission=submitted)
    request = review.request_changes(
        submission=submitted,
        curator=curator,
        message="Look at the second channel.",
        points=[
            ChangePoint(
                message="Saturated here.",
                file_id=str(job.data_file_id),
                image_view={"series": 0, "z": 2, "t": 0, "channels": [{"index": 1, "name": "G"}]},
                screenshot=PNG,
            )
        ],
    )
    point = request.points.get()
    channels = [{"index": 1, "name": "G"}]
    assert point.image_view == {"series": 0, "z": 2, "t": 0, "channels": channels}
    assert point.screenshot_key.startswith(f"review/{submitted.pk}/points/")
    assert point.screenshot_bytes == len(PNG)
    url = f"/submissions/{submitted.pk}/review/points/{point.pk}/screenshot.png"
    everyone = people(facility, researcher, curator, outsider)
    for who in ("submitter", "lab mate", "curator"):
        response = signed_in(everyone[who]).get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG
    for who in ("other lab", "outsider"):
        assert signed_in(everyone[who]).get(url).status_code == 404, who
        assert signed_in(everyone[who]).get(url, HTTP_RANGE="bytes=0-3").status_code == 404
    assert Client().get(url).status_code == 404
    # The researcher sees it beside the file on the review page, described in words.
    page = signed_in(researcher).get(f"/submissions/{submitted.pk}/review/").content.decode()
    assert url in page
    assert "Seen at: Series 1, z-plane 3, time point 1; channel G" in page
    # And on the files page, where the file is replaced.
    files = signed_in(researcher).get(f"/submissions/{submitted.pk}/files/").content.decode()
    assert "Saturated here." in files
    assert url in files


@pytest.mark.parametrize(
    ("view", "screenshot", "field", "expected"),
    [
        ({"series": -1, "z": 0, "t": 0}, None, "image_view", "could not be read"),
        ("not json", None, "image_view", "could not be read"),
        (None, b"GIF89a" + b"\x00" * 10, "screenshot", "must be a PNG"),
        (None, b"\x89PNG\r\n\x1a\n" + b"\x00" * 3_000_000, "screenshot", "too large"),
    ],
)
def test_a_bad_view_or_screenshot_is_refused_at_its_point_and_nothing_is_stored(
    submitted: Submission, curator: User, view: Any, screenshot: Any, field: str, expected: str
) -> None:
    from submissions.core.errors import ValidationFailed

    job = ConversionJob.objects.get(submission=submitted)
    with pytest.raises(ValidationFailed) as refused:
        review.request_changes(
            submission=submitted,
            curator=curator,
            message="See the image.",
            points=[
                ChangePoint(
                    message="Here.",
                    file_id=str(job.data_file_id),
                    image_view=view,
                    screenshot=screenshot,
                )
            ],
        )
    assert expected in refused.value.fields[f"points.0.{field}"][0]
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_on_s3_the_proxy_passes_ranges_to_the_bucket(
    s3_both, researcher: User, outsider: User, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    staging_client, _archive = s3_both
    submission = complete_draft(researcher, tmp_path, files=1)
    with django_capture_on_commit_callbacks(execute=True):
        review.submit(submission=submission, user=researcher)
    job = ConversionJob.objects.get(submission=submission)
    url = urls(submission)[1]
    stored = staging_client.get_object(
        Bucket=staging_client.bucket, Key=f"{job.review_prefix}/OME/METADATA.ome.xml"
    )["Body"].read()
    part = signed_in(researcher).get(url, HTTP_RANGE="bytes=10-29")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-29/{len(stored)}"
    assert b"".join(part.streaming_content) == stored[10:30]
    assert signed_in(outsider).get(url, HTTP_RANGE="bytes=10-29").status_code == 404
    assert signed_in(researcher).get(url + "-missing").status_code == 404


def test_a_point_posted_from_the_review_page_keeps_its_view_and_screenshot(
    submitted: Submission, curator: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from submissions.review.models import ChangeRequestPoint

    job = ConversionJob.objects.get(submission=submitted)
    response = signed_in(curator).post(
        f"/submissions/{submitted.pk}/review/request-changes/",
        {
            "message": "One thing about the image.",
            "points-TOTAL_FORMS": "1",
            "points-INITIAL_FORMS": "0",
            "points-0-file": str(job.data_file_id),
            "points-0-message": "Out of focus.",
            "points-0-image_view": '{"series": 0, "z": 1, "t": 0, "channels": []}',
            "points-0-screenshot": SimpleUploadedFile("s.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    point = ChangeRequestPoint.objects.get(change_request__submission=submitted)
    assert point.image_view == {"series": 0, "z": 1, "t": 0, "channels": []}
    assert point.screenshot_bytes == len(PNG)
