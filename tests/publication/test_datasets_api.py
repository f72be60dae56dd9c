"""The public datasets API: released datasets only, readable without signing in, searchable by
title, keyword, organism, imaging method, facility and date, cursor-paginated, with files and
OME-Zarr URLs in the detail; embargoed and withdrawn datasets never appear."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework.test import APIClient

from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import JobState
from submissions.publication.models import Publication
from submissions.publication.services import release as release_service
from tests import factories
from tests.factories import complete_rembi


def more_released(like: Submission, *, count: int, release: dt.date | None = None) -> list[str]:
    """`count` more published datasets in `like`'s facility (released unless `release` is
    later than today); their accessions."""
    accessions = []
    for n in range(count):
        accession = f"APT-X{n}-{uuid.uuid4().hex[:4]}"
        day = release or dt.date.today()
        metadata = complete_rembi(release_date=day.isoformat(), keywords=[f"batch {n}"])
        submission = factories.SubmissionFactory(
            facility=like.facility,
            title=f"Zebrafish fins, batch {n}",
            accession=accession,
            metadata=metadata,
        )
        Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.PUBLISHED)
        Publication.objects.create(
            submission=submission,
            accession=accession,
            state=JobState.SUCCEEDED,
            due_at=dt.datetime.now(dt.UTC),
            marker_written_at=dt.datetime.now(dt.UTC),
            release_date=day,
            total_bytes=1000,
        )
        accessions.append(accession)
    release_service.release_due_datasets()
    return accessions


@pytest.mark.django_db
def test_the_list_is_public_searchable_and_never_shows_embargoed(
    released: Submission, embargoed_too
) -> None:
    api = APIClient()  # not signed in
    everything = api.get("/api/v1/datasets/").json()
    assert [d["accession"] for d in everything["results"]] == [released.accession]
    entry = everything["results"][0]
    assert entry["organisms"][0]["iri"] == "http://purl.obolibrary.org/obo/NCBITaxon_9606"
    assert entry["imaging_methods"][0]["term_id"] == "FBbi:00000253"
    assert entry["facility"]["ror"] == "https://ror.org/05gq02987"

    def found(**query: str) -> list[str]:
        return [d["accession"] for d in api.get("/api/v1/datasets/", query).json()["results"]]

    acc = [released.accession]
    assert found(q="hela") == acc
    assert found(q="zebrafish") == []
    assert found(keyword="Live imaging") == acc
    assert found(keyword="live") == []
    assert found(organism="9606") == acc
    assert found(organism="homo sapiens") == acc
    assert found(organism="Mus musculus") == []
    assert found(imaging_method="FBbi:00000253") == acc
    assert found(imaging_method="spinning disk confocal microscopy") == acc
    assert found(facility=released.facility.slug) == acc
    assert found(facility="elsewhere") == []
    today = dt.date.today()
    assert found(released_after=today.isoformat()) == acc
    assert found(released_before=(today - dt.timedelta(days=1)).isoformat()) == []
    bad = api.get("/api/v1/datasets/", {"released_after": "soon"})
    assert bad.status_code == 400
    assert "released_after" in bad.json()["fields"]


@pytest.fixture
def embargoed_too(released: Submission) -> list[str]:
    return more_released(released, count=2, release=dt.date.today() + dt.timedelta(days=9))


@pytest.mark.django_db
def test_cursor_pages_cover_every_dataset_once(released: Submission) -> None:
    accessions = {released.accession, *more_released(released, count=6)}
    api, seen = APIClient(), []
    url = "/api/v1/datasets/?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [d["accession"] for d in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(accessions)


@pytest.mark.django_db
def test_the_detail_has_files_and_ome_zarr_urls(released: Submission) -> None:
    detail = APIClient().get(f"/api/v1/datasets/{released.accession}/").json()
    assert len(detail["files"]) == 2
    for item in detail["files"]:
        assert item["ome_zarr_url"].endswith(".ome.zarr/")
        assert item["sha256"]
        assert item["original_url"]
        assert item["thumbnail_url"]
    assert detail["authors"][0]["email"] == "josiah@example.org"  # marked as the contact
    assert detail["ro_crate_url"].endswith("/ro-crate-metadata.json")


@pytest.mark.django_db
def test_embargoed_and_unknown_datasets_are_not_found(embargoed: Submission) -> None:
    assert APIClient().get(f"/api/v1/datasets/{embargoed.accession}/").status_code == 404
    assert APIClient().get("/api/v1/datasets/APT-404/").status_code == 404


def test_the_datasets_api_is_in_the_openapi_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/datasets/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/datasets/"]["get"]["parameters"]}
    assert {"q", "keyword", "organism", "imaging_method", "facility", "cursor"} <= parameters
