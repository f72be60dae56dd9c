"""Anyone finds released datasets in the public catalogue; embargoed and unpublished ones are
not listed, and searching narrows the list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import JobState
from submissions.publication.models import Publication
from submissions.publication.services import release as release_service
from tests import factories
from tests.factories import complete_rembi

pytestmark = pytest.mark.django_db


def published(facility, *, title: str, accession: str, release: dt.date, keywords: list[str]):
    metadata = complete_rembi(release_date=release.isoformat(), keywords=keywords, title=title)
    submission = factories.SubmissionFactory(
        facility=facility, title=title, accession=accession, metadata=metadata
    )
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.PUBLISHED)
    Publication.objects.create(
        submission=submission,
        accession=accession,
        state=JobState.SUCCEEDED,
        due_at=dt.datetime.now(dt.UTC),
        marker_written_at=dt.datetime.now(dt.UTC),
        release_date=release,
    )
    release_service.release_due_datasets()  # what beat runs: releases what is due
    return submission


def test_the_catalogue_lists_released_datasets_only_and_searches_them(facility) -> None:
    today = dt.date.today()
    published(
        facility,
        title="Zebrafish heart regeneration",
        accession="APT-1",
        release=today,
        keywords=["zebrafish", "heart"],
    )
    published(
        facility,
        title="Mouse retina organoids at day 30",
        accession="APT-2",
        release=today - dt.timedelta(days=3),
        keywords=["retina"],
    )
    published(
        facility,
        title="Embargoed fly wing discs",
        accession="APT-3",
        release=today + dt.timedelta(days=30),
        keywords=["drosophila"],
    )
    factories.SubmissionFactory(facility=facility, title="A draft nobody may see")

    page = Client().get("/datasets/").content.decode()
    assert "2 datasets" in page
    assert 'href="/datasets/APT-1/"' in page
    assert 'href="/datasets/APT-2/"' in page
    assert "Embargoed fly wing" not in page
    assert "A draft nobody may see" not in page

    heart = Client().get("/datasets/?q=heart").content.decode()
    assert "Zebrafish heart regeneration" in heart
    assert "Mouse retina" not in heart
    assert "Mouse retina" in Client().get("/datasets/?q=apt-2").content.decode()
    assert "No dataset matches" in Client().get("/datasets/?q=drosophila").content.decode()


def test_an_empty_catalogue_says_so() -> None:
    page = Client().get("/datasets/").content.decode()
    assert "Nothing published yet" in page
