"""The whole FAIR path, as a harvester and a search engine meet it: a dataset is approved and
published under embargo (a draft DOI at DataCite, nothing public anywhere), its release date
comes (time moved), beat releases it, and it is then readable four ways (JSON-LD, RO-Crate,
OAI-PMH, datasets API) with its DOI findable.

DataCite cannot be reached from here: DOIs go to tests/publication/fake_datacite.py, a local
fake of DataCite's REST API that checks every payload against DataCite's required fields and
metadata schema (see that module for the behaviour it follows and where it is documented).
OAI-PMH is harvested over real HTTP (pytest-django's live server) by Sickle, a harvester.
"""

from __future__ import annotations

import datetime as dt
import json

import extruct
import pytest
import time_machine
from django.core import mail
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.publication.models import DoiRegistration, DoiState
from submissions.publication.services import release as release_service
from tests.publication.conftest import PREFIX, publish
from tests.publication.fake_datacite import MANDATORY, FakeDataCite


@pytest.mark.django_db(transaction=True)
def test_a_dataset_is_dark_until_its_date_then_readable_four_ways_with_a_findable_doi(
    submitted: Submission,
    curator: User,
    researcher: User,
    datacite: FakeDataCite,
    live_server,
    django_capture_on_commit_callbacks,
    client,
) -> None:
    release_on = dt.date.today() + dt.timedelta(days=30)
    dataset = publish(submitted, curator, django_capture_on_commit_callbacks, release=release_on)
    acc = dataset.accession
    doi = f"{PREFIX}/{acc}".lower()

    # Approved: the DOI is reserved as a draft, already with DataCite's six mandatory
    # properties (identifier, creators, titles, publisher, publicationYear, resourceType).
    draft = datacite.records[doi]
    assert draft["state"] == "draft"
    assert all(draft["attributes"].get(name) for name in MANDATORY)
    assert draft["attributes"]["types"]["resourceTypeGeneral"] == "Dataset"
    assert draft["attributes"]["publicationYear"] == str(release_on.year)

    # Embargoed: in none of the four machine-readable forms, and the page shows no title.
    page = client.get(f"/datasets/{acc}/").content.decode()
    assert dataset.title not in page
    assert not extruct.extract(page, syntaxes=["json-ld"])["json-ld"]
    assert client.get(f"/datasets/{acc}/ro-crate-metadata.json").status_code == 404
    assert client.get("/api/v1/datasets/").json()["results"] == []
    assert client.get(f"/api/v1/datasets/{acc}/").status_code == 404
    harvester = Sickle(live_server.url + "/oai")
    with pytest.raises(NoRecordsMatch):
        list(harvester.ListRecords(metadataPrefix="oai_dc"))
    assert json.loads(client.get(f"/datasets/{acc}/metadata.json").content).keys() == {
        "accession",
        "url",
        "facility",
        "released_at",
        "embargoed_until",
    }
    mail.outbox.clear()

    # The day before: beat finds nothing to release.
    with time_machine.travel(dt.datetime.combine(release_on, dt.time(0, 5)) - dt.timedelta(days=1)):
        assert release_service.release_due_datasets() == 0

    # The release date: beat releases it once, the DOI becomes findable, people are told once.
    with time_machine.travel(dt.datetime.combine(release_on, dt.time(0, 5)), tick=True):
        assert release_service.release_due_datasets() == 1
        assert release_service.release_due_datasets() == 0  # a second beat run: nothing
        dataset.refresh_from_db()
        assert dataset.publication.released_at is not None
        assert datacite.records[doi]["state"] == "findable"
        assert DoiRegistration.objects.get(submission=dataset).state == DoiState.FINDABLE
        told = sorted(message.to[0] for message in mail.outbox)
        assert told == sorted([researcher.email, curator.email])
        assert dataset.events.filter(kind="released").count() == 1

        # 1. schema.org JSON-LD, read from the page by extruct.
        page = client.get(f"/datasets/{acc}/").content.decode()
        (ld,) = extruct.extract(page, syntaxes=["json-ld"])["json-ld"]
        assert ld["@type"] == "Dataset"
        assert {
            "@type": "PropertyValue",
            "propertyID": "DOI",
            "value": doi,
            "url": f"https://doi.org/{doi}",
        } in ld["identifier"]
        assert "DOI pending" not in page

        # 2. the GIDE RO-Crate.
        crate = client.get(f"/datasets/{acc}/ro-crate-metadata.json").json()
        root = next(e for e in crate["@graph"] if e["@type"] == "Dataset")
        assert root["identifier"] == f"https://doi.org/{doi}"

        # 3. OAI-PMH, harvested over HTTP by Sickle: oai_dc and oai_datacite.
        records = list(harvester.ListRecords(metadataPrefix="oai_dc"))
        assert [r.header.identifier for r in records] == [f"oai:127.0.0.1:{acc}"]
        assert records[0].metadata["title"] == [dataset.title]
        assert f"https://doi.org/{doi}" in records[0].metadata["identifier"]
        (dc_record,) = list(harvester.ListRecords(metadataPrefix="oai_datacite"))
        assert doi.upper() in dc_record.raw.upper()
        sets = [s.setSpec for s in harvester.ListSets()]
        assert f"facility:{dataset.facility.slug}" in sets

        # 4. the public datasets API.
        listed = client.get("/api/v1/datasets/", {"organism": "Homo sapiens"}).json()
        assert [d["accession"] for d in listed["results"]] == [acc]
        assert listed["results"][0]["doi"] == doi
