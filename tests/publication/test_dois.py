"""DOIs on the local fake of DataCite's REST API (DataCite cannot be reached from here; the fake
follows DataCite's documented behaviour and checks each payload against its required fields
and schema, see fake_datacite.py): failures never block publication, are retried with
backoff, and the page says "DOI pending" until DataCite has it; changes reach DataCite; a
withdrawn dataset's DOI is hidden."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.publication.models import DoiRegistration, DoiState
from submissions.publication.services import doi, release, tombstone
from tests.publication.conftest import PREFIX, publish
from tests.publication.fake_datacite import FakeDataCite


@pytest.mark.django_db
def test_an_outage_never_blocks_release_and_the_doi_follows_later(
    submitted: Submission, curator: User, datacite: FakeDataCite, django_capture_on_commit_callbacks
) -> None:
    datacite.outage = True
    dataset = publish(
        submitted, curator, django_capture_on_commit_callbacks, release=dt.date.today()
    )
    assert dataset.status == SubmissionStatus.PUBLISHED
    assert dataset.publication.released_at is not None  # public, DOI or not
    registration = DoiRegistration.objects.get(submission=dataset)
    assert registration.state == DoiState.NONE
    assert registration.attempts >= 1
    assert "503" in registration.last_error
    assert registration.due_at > timezone.now()
    page = Client().get(f"/datasets/{dataset.accession}/").content.decode()
    assert "DOI pending" in page

    datacite.outage = False
    DoiRegistration.objects.filter(pk=registration.pk).update(due_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert doi.sync_due() == 1  # what beat runs
    registration.refresh_from_db()
    assert registration.state == DoiState.FINDABLE
    assert registration.due_at is None
    assert datacite.records[f"{PREFIX}/{dataset.accession}".lower()]["state"] == "findable"
    page = Client().get(f"/datasets/{dataset.accession}/").content.decode()
    assert "DOI pending" not in page
    assert f"https://doi.org/{registration.doi}" in page


@pytest.mark.django_db
def test_wrong_credentials_are_recorded_and_retried_not_raised(
    submitted: Submission,
    curator: User,
    datacite: FakeDataCite,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.DATACITE_PASSWORD = "wrong"
    dataset = publish(
        submitted, curator, django_capture_on_commit_callbacks, release=dt.date.today()
    )
    registration = DoiRegistration.objects.get(submission=dataset)
    assert "401" in registration.last_error
    assert registration.due_at is not None


@pytest.mark.django_db
def test_unchanged_records_are_not_resent_and_changes_are(
    datacite: FakeDataCite, embargoed: Submission, curator: User, django_capture_on_commit_callbacks
) -> None:
    before = len(datacite.requests)
    assert doi.sync(submission_id=embargoed.pk) == "unchanged"
    assert len(datacite.requests) == before
    until = dt.date.today() + dt.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        release.extend_embargo(submission=embargoed, curator=curator, until=until, reason="Paper")
    record = datacite.records[f"{PREFIX}/{embargoed.accession}".lower()]
    assert record["state"] == "draft"
    assert record["attributes"]["publicationYear"] == str(until.year)


@pytest.mark.django_db
def test_withdrawing_hides_a_findable_doi(
    datacite: FakeDataCite,
    released: Submission,
    curator: User,
    django_capture_on_commit_callbacks,
) -> None:
    assert datacite.records[f"{PREFIX}/{released.accession}".lower()]["state"] == "findable"
    with django_capture_on_commit_callbacks(execute=True):
        tombstone.tombstone(submission=released, curator=curator, reason="Duplicate of APT-9.")
    hidden = datacite.records[f"{PREFIX}/{released.accession}".lower()]
    assert hidden["state"] == "registered"  # a findable DOI can only be hidden, never deleted
    assert hidden["attributes"]["descriptions"][0]["description"].endswith("Duplicate of APT-9.")
    assert hidden["attributes"]["url"].endswith(f"/datasets/{released.accession}/")


@pytest.mark.django_db
def test_withdrawing_before_release_deletes_the_draft(
    datacite: FakeDataCite,
    embargoed: Submission,
    curator: User,
    django_capture_on_commit_callbacks,
) -> None:
    assert datacite.records[f"{PREFIX}/{embargoed.accession}".lower()]["state"] == "draft"
    with django_capture_on_commit_callbacks(execute=True):
        tombstone.tombstone(submission=embargoed, curator=curator, reason="Withdrawn by authors.")
    assert f"{PREFIX}/{embargoed.accession}".lower() not in datacite.records
