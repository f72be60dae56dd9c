"""Curators and facility admins download each file's fixity receipt from the review page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from submissions.accounts.models import Role, User
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile
from tests import factories
from tests.conftest import client_for
from tests.review.conftest import html_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(submitted: Submission, researcher: User) -> DataFile:
    """The submission's file, as the upload protocol leaves it once verified."""
    datafile = submitted.files.get()
    datafile.uploader = researcher
    datafile.verified_at = timezone.now()
    datafile.save()
    return datafile


def receipt_url(datafile: DataFile) -> str:
    return f"/api/v1/uploads/{datafile.pk}/receipt/"


@pytest.mark.parametrize("role", [Role.CURATOR, Role.FACILITY_ADMIN])
def test_facility_curators_download_the_receipt(
    verified: DataFile, facility: factories.Facility, role: str
) -> None:
    reviewer = factories.member(facility=facility, role=role)
    response = html_client(reviewer).get(receipt_url(verified))  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response["Content-Disposition"] == (f'attachment; filename="receipt-{verified.pk}.json"')
    body = response.json()
    assert body["name"] == "cells_t0.ome.tif"
    assert body["size"] == 52_428_800
    assert body["sha256"] == verified.sha256
    assert body["verified_at"] == verified.verified_at.isoformat()  # type: ignore[union-attr]


def test_the_review_file_list_links_each_verified_files_receipt(
    submitted: Submission, verified: DataFile, curator: User
) -> None:
    factories.DataFileFactory(submission=submitted, name="still-coming.tif", status="uploading")
    client = html_client(curator)
    html = client.get(f"/submissions/{submitted.pk}/review/files/").content.decode()  # type: ignore[attr-defined]
    links = re.findall(r'<a class="receipt-link" href="([^"]+)" download>Receipt', html)
    assert links == [receipt_url(verified)]
    assert 'Receipt<span class="visually-hidden"> for cells_t0.ome.tif</span>' in html
    assert client.get(links[0]).status_code == 200  # type: ignore[attr-defined]


def test_no_receipt_before_verification(submitted: Submission, curator: User) -> None:
    coming = factories.DataFileFactory(submission=submitted, status="uploading")
    response = client_for(curator).get(receipt_url(coming))
    assert response.status_code == 409
    assert response.json()["message"] == "A receipt exists once the file is verified."


def test_outside_the_facility_the_receipt_is_404(verified: DataFile, outsider: User) -> None:
    curator_elsewhere = factories.member(facility=factories.FacilityFactory(), role=Role.CURATOR)
    for user in (outsider, curator_elsewhere):
        assert client_for(user).get(receipt_url(verified)).status_code == 404


def test_curators_still_cannot_touch_the_upload_itself(verified: DataFile, curator: User) -> None:
    client = client_for(curator)
    base = f"/api/v1/uploads/{verified.pk}"
    assert client.get(f"{base}/").status_code == 404
    assert client.post(f"{base}/abort/").status_code == 404
    assert client.get(f"{base}/parts/").status_code == 404


def test_a_file_that_failed_inspection_keeps_its_receipt(verified: DataFile, curator: User) -> None:
    """The bytes arrived intact; only reading the image failed afterwards."""
    verified.status = "failed"
    verified.failure_message = "cells_t0.ome.tif looks like a TIFF but could not be read."
    verified.save()
    html = html_client(curator).get(f"/submissions/{verified.submission_id}/review/files/")  # type: ignore[attr-defined]
    assert receipt_url(verified) in html.content.decode()
    response = client_for(curator).get(receipt_url(verified))
    assert response.status_code == 200
    assert response.json()["sha256"] == verified.sha256
