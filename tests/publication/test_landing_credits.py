"""A published dataset's landing page credits its authors, states its licence, says how to cite
it, and tells search engines the same in schema.org JSON-LD; an embargoed one shows none of it
to the public."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from tests.factories import complete_rembi


@pytest.fixture
def released(submitted: Submission, curator: User, django_capture_on_commit_callbacks):
    today = dt.date.today().isoformat()
    Submission.objects.filter(pk=submitted.pk).update(metadata=complete_rembi(release_date=today))
    submitted.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.PUBLISHED
    return submitted


@pytest.mark.django_db
def test_the_landing_page_credits_authors_and_says_how_to_cite(released: Submission) -> None:
    page = Client().get(f"/datasets/{released.accession}/").content.decode()

    assert "Josiah Carberry" in page
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in page
    assert 'href="https://ror.org/05gq02987">Brown University</a>' in page
    assert 'rel="license">CC BY 4.0</a>' in page
    year = dt.date.today().year
    citation = (
        f"Josiah Carberry ({year}). {released.title}. {released.facility.name}, "
        f"Aperture dataset {released.accession}. "
        f"{settings.SITE_URL}/datasets/{released.accession}/"
    )
    assert citation in page
    # The full description is rendered for people, not dumped as a Python dict.
    assert "Full REMBI description" in page
    assert "{&#x27;study&#x27;" not in page

    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page)
    assert found, "the landing page carries schema.org JSON-LD"
    ld = json.loads(found.group(1))
    assert ld["@type"] == "Dataset"
    assert released.accession in ld["identifier"]
    assert ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert ld["creator"][0]["@id"] == "https://orcid.org/0000-0002-1825-0097"

    document = Client().get(f"/datasets/{released.accession}/metadata.json").json()
    assert document["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    assert document["citation"] == citation


@pytest.mark.django_db
def test_an_embargoed_dataset_shows_no_credits_to_the_public(
    submitted: Submission, curator: User, django_capture_on_commit_callbacks
) -> None:
    Submission.objects.filter(pk=submitted.pk).update(metadata=complete_rembi())  # next year
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    page = Client().get(f"/datasets/{submitted.accession}/").content.decode()
    assert "Under embargo" in page
    assert "Josiah Carberry" not in page
    assert "application/ld+json" not in page
    assert "citation" not in Client().get(f"/datasets/{submitted.accession}/metadata.json").json()


@pytest.mark.django_db
def test_released_data_is_open_to_web_viewers_embargoed_data_is_not(
    released: Submission, submitted_embargoed: Submission, researcher: User
) -> None:
    document = Client().get(f"/datasets/{released.accession}/metadata.json")
    assert document["Access-Control-Allow-Origin"] == "*"
    file_id = document.json()["files"][0]["id"]
    zattrs = Client().get(f"/datasets/{released.accession}/files/{file_id}.ome.zarr/zarr.json")
    if zattrs.status_code == 404:  # NGFF 0.4 output: zarr v2 metadata
        zattrs = Client().get(f"/datasets/{released.accession}/files/{file_id}.ome.zarr/.zattrs")
    assert zattrs.status_code == 200
    assert zattrs["Access-Control-Allow-Origin"] == "*"

    browser = Client()
    browser.force_login(researcher)  # the owner may read it during the embargo, but only as self
    hidden = browser.get(f"/datasets/{submitted_embargoed.accession}/metadata.json")
    assert hidden.status_code == 200
    assert "Access-Control-Allow-Origin" not in hidden


@pytest.fixture
def submitted_embargoed(
    researcher: User, curator: User, tmp_path, django_capture_on_commit_callbacks
) -> Submission:
    from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes

    submission = make_submission(researcher=researcher, metadata=complete_rembi())
    add_file(submission, ome_tiff_bytes(tmp_path, seed=9), name="later.ome.tif")
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PUBLISHED
    return submission
