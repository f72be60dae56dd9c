"""OAI-PMH at /oai: the protocol's answers to good and bad requests (error codes from the
OAI-PMH 2.0 specification, section 3.6), resumption tokens across pages, sets per facility,
and a withdrawn dataset announced as a deleted record."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.publication.services import tombstone

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}


def oai(**params: str) -> ET.Element:
    response = Client().get("/oai", params)
    assert response.status_code == 200  # errors too: the protocol answers them in XML
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def error_code(root: ET.Element) -> str:
    error = root.find("o:error", NS)
    return error.get("code") if error is not None else ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),  # metadataPrefix missing
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2026-01-01",
                "until": "2026-01-01T00:00:00Z",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere:APT-1"},
            "idDoesNotExist",
        ),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, "noRecordsMatch"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "facility:nope"},
            "noRecordsMatch",
        ),
    ],
)
def test_bad_requests_get_the_protocols_error_codes(params: dict[str, str], code: str) -> None:
    assert error_code(oai(**params)) == code


@pytest.mark.django_db
def test_a_repeated_argument_is_a_bad_argument() -> None:
    response = Client().get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert error_code(ET.fromstring(response.content)) == "badArgument"


@pytest.mark.django_db
def test_identify_and_formats(released: Submission) -> None:
    root = oai(verb="Identify")
    assert root.findtext("o:Identify/o:protocolVersion", namespaces=NS) == "2.0"
    assert root.findtext("o:Identify/o:deletedRecord", namespaces=NS) == "persistent"
    assert root.findtext("o:Identify/o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    prefixes = [
        e.text for e in oai(verb="ListMetadataFormats").iter(f"{{{NS['o']}}}metadataPrefix")
    ]
    assert prefixes == ["oai_dc", "oai_datacite"]
    # Without a DOI provider the record has no DOI, so no DataCite record: only Dublin Core.
    identifier = f"oai:127.0.0.1:{released.accession}"
    only = oai(verb="ListMetadataFormats", identifier=identifier)
    assert [e.text for e in only.iter(f"{{{NS['o']}}}metadataPrefix")] == ["oai_dc"]
    refused = oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_datacite")
    assert error_code(refused) == "cannotDisseminateFormat"
    record = oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert record.findtext(".//dc:title", namespaces=NS) == released.title
    subjects = [e.text for e in record.iter(f"{{{NS['dc']}}}subject")]
    assert "Homo sapiens" in subjects
    assert "spinning disk confocal microscopy" in subjects


@pytest.mark.django_db
def test_resumption_tokens_page_through_every_record_once(
    released: Submission, settings, django_capture_on_commit_callbacks
) -> None:
    from tests.publication.test_datasets_api import more_released

    settings.OAI_PAGE_SIZE = 2
    accessions = {released.accession, *more_released(released, count=4)}
    seen: list[str] = []
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    while True:
        seen += [e.text for e in root.iter(f"{{{NS['o']}}}identifier")]
        token = root.find(".//o:resumptionToken", NS)
        assert token is not None
        assert token.get("completeListSize") == "5"
        if not token.text:
            break
        root = oai(verb="ListIdentifiers", resumptionToken=token.text)
    assert sorted(seen) == sorted(f"oai:127.0.0.1:{a}" for a in accessions)


@pytest.mark.django_db
def test_a_withdrawn_dataset_is_a_deleted_record(
    released: Submission, curator: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tombstone.tombstone(submission=released, curator=curator, reason="Consent withdrawn.")
    root = oai(verb="ListRecords", metadataPrefix="oai_dc")
    header = root.find(".//o:record/o:header", NS)
    assert header is not None
    assert header.get("status") == "deleted"
    assert root.find(".//o:record/o:metadata", NS) is None
    facility = oai(verb="ListSets")
    assert f"facility:{released.facility.slug}" in [
        e.text for e in facility.iter(f"{{{NS['o']}}}setSpec")
    ]
