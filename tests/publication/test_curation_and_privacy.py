"""What a curator does to a published dataset (release early, extend the embargo, withdraw,
download the BIA deposit package), on the page and through the API, and what an embargoed
dataset lets the world see (issue 11: accession, facility and release date only; author
e-mails only for the contact)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.publication.models import Publication
from tests.conftest import client_for, signed_in


@pytest.mark.django_db
def test_the_world_sees_only_accession_facility_and_date_of_an_embargoed_dataset(
    embargoed: Submission,
) -> None:
    page = Client().get(f"/datasets/{embargoed.accession}/").content.decode()
    assert embargoed.accession in page
    assert embargoed.facility.name in page
    assert embargoed.title not in page
    assert "Dataset under embargo" in page
    document = Client().get(f"/datasets/{embargoed.accession}/metadata.json").json()
    assert "title" not in document
    assert document["facility"] == embargoed.facility.name
    assert document["embargoed_until"] == embargoed.publication.release_date.isoformat()

    embargoed.facility.show_embargoed_titles = True  # the facility's choice
    embargoed.facility.save()
    assert embargoed.title in Client().get(f"/datasets/{embargoed.accession}/").content.decode()
    document = Client().get(f"/datasets/{embargoed.accession}/metadata.json").json()
    assert document["title"] == embargoed.title
    assert "metadata" not in document


@pytest.mark.django_db
def test_only_the_contact_authors_e_mail_is_published(
    released: Submission,
) -> None:
    metadata = dict(released.metadata)
    metadata["study"] = dict(metadata["study"])
    metadata["study"]["authors"] = [
        *metadata["study"]["authors"],
        {"name": "Quiet Coauthor", "email": "quiet@example.org", "affiliation": {"name": "X"}},
    ]
    Submission.objects.filter(pk=released.pk).update(metadata=metadata)
    page = Client().get(f"/datasets/{released.accession}/").content.decode()
    document = Client().get(f"/datasets/{released.accession}/metadata.json").content.decode()
    crate = Client().get(f"/datasets/{released.accession}/ro-crate-metadata.json").content.decode()
    for published in (page, document, crate):
        assert "josiah@example.org" in published  # marked as the contact
        assert "quiet@example.org" not in published


@pytest.mark.django_db
def test_a_curator_releases_early_with_a_reason_on_the_page(
    embargoed: Submission, curator: User, researcher: User, django_capture_on_commit_callbacks
) -> None:
    browser = signed_in(curator)
    url = f"/datasets/{embargoed.accession}/curation/release/"
    refused = browser.post(url, {"release-reason": ""})
    assert refused.status_code == 400
    assert "This field is required" in refused.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(url, {"release-reason": "The paper is out."}, follow=True)
    assert "Released: the dataset is public now." in done.content.decode()
    publication = Publication.objects.get(submission=embargoed)
    assert publication.released_at is not None
    assert publication.release_date == dt.date.today()
    event = embargoed.events.get(kind="released")
    assert "The paper is out." in event.note
    assert event.actor == curator
    assert sorted(m.to[0] for m in mail.outbox) == sorted([researcher.email, curator.email])
    again = browser.post(url, {"release-reason": "Twice"}, follow=True)  # a double click
    assert "Only a dataset under embargo" in again.content.decode()
    assert embargoed.events.filter(kind="released").count() == 1


@pytest.mark.django_db
def test_extending_the_embargo_needs_a_later_date_and_a_reason(
    embargoed: Submission, curator: User
) -> None:
    api = client_for(curator)
    url = f"/api/v1/datasets/{embargoed.accession}/extend-embargo/"
    earlier = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    refused = api.post(url, {"until": earlier, "reason": "Patent"}, format="json")
    assert refused.status_code == 400
    assert "until" in refused.json()["fields"]
    later = dt.date.today() + dt.timedelta(days=200)
    assert (
        api.post(url, {"until": later.isoformat(), "reason": "Patent"}, format="json").status_code
        == 204
    )
    embargoed.refresh_from_db()
    assert embargoed.publication.release_date == later
    assert embargoed.metadata["study"]["release_date"] == later.isoformat()
    assert "Patent" in embargoed.events.get(kind="embargo_extended").note


@pytest.mark.django_db
def test_only_the_facilitys_curators_may_act(
    embargoed: Submission, researcher: User, outsider: User
) -> None:
    for person in (researcher, outsider):
        api = client_for(person)
        response = api.post(
            f"/api/v1/datasets/{embargoed.accession}/release/", {"reason": "x"}, format="json"
        )
        assert response.status_code == 404
        assert api.get(f"/api/v1/datasets/{embargoed.accession}/bia-deposit/").status_code == 404
    anonymous = APIClient().post(
        f"/api/v1/datasets/{embargoed.accession}/release/", {"reason": "x"}
    )
    assert anonymous.status_code in (401, 403)
    assert Publication.objects.get(submission=embargoed).released_at is None


@pytest.mark.django_db
def test_a_withdrawn_dataset_leaves_a_tombstone(
    released: Submission, curator: User, django_capture_on_commit_callbacks
) -> None:
    file = released.files.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(curator).post(
            f"/datasets/{released.accession}/curation/withdraw/",
            {"withdraw-reason": "Consent withdrawn by the donor.", "withdraw-confirm": "on"},
        )
    assert response.status_code == 302
    released.refresh_from_db()
    assert released.status == SubmissionStatus.TOMBSTONED
    page = Client().get(f"/datasets/{released.accession}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "This dataset was withdrawn" in html
    assert "Consent withdrawn by the donor." in html
    assert released.title in html
    assert f"Aperture dataset {released.accession}" in html
    assert "application/ld+json" not in html
    assert (
        Client().get(f"/datasets/{released.accession}/files/{file.pk}/original").status_code == 404
    )
    assert Client().get(f"/datasets/{released.accession}/ro-crate-metadata.json").status_code == 404
    assert APIClient().get("/api/v1/datasets/").json()["results"] == []


@pytest.mark.django_db
def test_the_deposit_package_is_a_streamed_zip_with_pagetab_lists_manifest_and_files(
    released: Submission, curator: User
) -> None:
    response = signed_in(curator).get(f"/datasets/{released.accession}/bia-deposit.zip")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = archive.namelist()
    assert {"README.txt", "pagetab.json", "file-list-1.tsv", "manifest-sha256.txt"} <= set(names)
    pagetab = json.loads(archive.read("pagetab.json"))
    assert pagetab["accno"] == released.accession
    listed = archive.read("file-list-1.tsv").decode().splitlines()
    assert listed[0].startswith("Files\t")
    assert len(listed) == 3
    for line in archive.read("manifest-sha256.txt").decode().splitlines():
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest
    assert "sha256sum -c manifest-sha256.txt" in archive.read("README.txt").decode()
    assert released.events.filter(kind="deposit_package", actor=curator).count() == 1


@pytest.mark.django_db
def test_facility_admins_choose_the_ror_id_and_whether_embargoed_titles_show(
    facility, facility_admin: User, curator: User, outsider: User
) -> None:
    url = f"/api/v1/facilities/{facility.slug}/publication-settings/"
    assert client_for(curator).patch(url, {"ror": "02catss52"}, format="json").status_code == 403
    assert client_for(outsider).patch(url, {"ror": "02catss52"}, format="json").status_code == 404
    bad = client_for(facility_admin).patch(url, {"ror": "not a ror"}, format="json")
    assert bad.status_code == 400
    assert "ror" in bad.json()["fields"]
    done = client_for(facility_admin).patch(
        url, {"ror": "02catss52", "show_embargoed_titles": True}, format="json"
    )
    assert done.json() == {"ror": "https://ror.org/02catss52", "show_embargoed_titles": True}
    assert facility.audit_events.filter(kind="publication_settings").count() == 1
