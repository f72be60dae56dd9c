"""DataCite metadata (schema 4.5) of a dataset: the attributes of DataCite's REST API (JSON:API
`/dois`), and the same record as DataCite XML for OAI-PMH's `oai_datacite`.

The six mandatory properties are always present: identifier (the DOI), creators, titles,
publisher, publicationYear and resourceType (`types.resourceTypeGeneral`). A creator without a
name cannot be sent, so a dataset without authors is credited to its facility.
The XML is written by the `datacite` library (inveniosoftware/datacite) from the same JSON.
"""

from __future__ import annotations

from typing import Any

from submissions.publication.formats.record import DatasetRecord

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
ORCID = {"nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}
ROR = "https://ror.org"


def _affiliation(name: str, ror: str) -> list[dict[str, str]]:
    if not name:
        return []
    found = {"name": name}
    if ror:
        found |= {
            "affiliationIdentifier": ror,
            "affiliationIdentifierScheme": "ROR",
            "schemeUri": ROR,
        }
    return [found]


def _creators(record: DatasetRecord) -> list[dict[str, Any]]:
    creators = []
    for author in record.authors:
        creator: dict[str, Any] = {"name": author.name, "nameType": "Personal"}
        if author.orcid:
            creator["nameIdentifiers"] = [{"nameIdentifier": author.orcid_url, **ORCID}]
        if author.affiliation:
            creator["affiliation"] = _affiliation(author.affiliation, author.ror)
        creators.append(creator)
    return creators or [{"name": record.facility_name, "nameType": "Organizational"}]


def _publisher(record: DatasetRecord) -> dict[str, str]:
    publisher = {"name": record.facility_name}
    if record.facility_ror:
        publisher |= {
            "publisherIdentifier": record.facility_ror,
            "publisherIdentifierScheme": "ROR",
            "schemeUri": ROR,
        }
    return publisher


def attributes(
    record: DatasetRecord, *, doi: str, release_year: int | None = None
) -> dict[str, Any]:
    """DataCite attributes for `record` under `doi`. `release_year` is the year it becomes (or
    became) public: DataCite's publicationYear."""
    year = release_year or record.year
    subjects = [{"subject": keyword} for keyword in record.keywords]
    subjects += [
        {"subject": taxon.scientific_name, "subjectScheme": "NCBI Taxonomy", "valueUri": taxon.iri}
        for taxon in record.organisms
    ]
    subjects += [
        {
            "subject": method.name,
            "subjectScheme": "Biological Imaging Methods Ontology (FBbi)",
            "classificationCode": method.term_id,
            "valueUri": method.iri,
        }
        for method in record.methods
    ]
    descriptions = [{"description": record.description, "descriptionType": "Abstract"}]
    if record.tombstoned_on:
        descriptions.insert(
            0,
            {
                "description": f"Withdrawn on {record.tombstoned_on.isoformat()}: "
                f"{record.tombstone_reason}",
                "descriptionType": "Other",
            },
        )
    found: dict[str, Any] = {
        "doi": doi,
        "url": record.url,
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Microscopy images"},
        "creators": _creators(record),
        "titles": [{"title": record.title}],
        "publisher": _publisher(record),
        "publicationYear": str(year) if year else "",
        "subjects": subjects,
        "descriptions": descriptions,
        "alternateIdentifiers": [
            {"alternateIdentifier": record.accession, "alternateIdentifierType": "Accession"}
        ],
        "sizes": [f"{len(record.files)} files", f"{record.total_bytes} bytes"],
        "formats": ["OME-Zarr"],
        "schemaVersion": SCHEMA_VERSION,
    }
    if record.licence_url:
        found["rightsList"] = [{"rights": record.licence_name, "rightsUri": record.licence_url}]
    if record.released_on:
        found["dates"] = [{"date": record.released_on.isoformat(), "dateType": "Available"}]
    if record.tombstoned_on:
        found.setdefault("dates", []).append(
            {"date": record.tombstoned_on.isoformat(), "dateType": "Withdrawn"}
        )
    funding = [
        {"funderName": grant["funder"], "awardNumber": grant["grant_id"]}
        for grant in record.grants
        if grant["funder"]
    ]
    if funding:
        found["fundingReferences"] = funding
    related = [
        {
            "relatedIdentifier": item["doi"],
            "relatedIdentifierType": "DOI",
            "relationType": "IsSupplementTo",
        }
        for item in record.publications
        if item.get("doi")
    ]
    if related:
        found["relatedIdentifiers"] = related
    if not found["publicationYear"]:
        del found["publicationYear"]
    return found


def xml(attributes: dict[str, Any]) -> bytes:
    """The DataCite XML <resource> (kernel 4.5) of these attributes."""
    from datacite import schema45

    document = {key: value for key, value in attributes.items() if key not in {"url", "event"}}
    text: str = schema45.tostring(document)
    return text.encode()
