"""schema.org Dataset as JSON-LD, for the landing page's <script type="application/ld+json">.

Follows schema.org's Dataset type as dataset indexers read it: creators as Persons with
their ORCID iD as @id, the facility as publisher (its ROR id as @id where known), organisms
in `about` as NCBITaxon IRIs, imaging methods in `measurementMethod` as FBbi IRIs, and one
DataDownload per OME-Zarr tree and original.
"""

from __future__ import annotations

import json
from typing import Any

from submissions.publication.formats.record import DatasetRecord

# What must never appear raw inside a <script> element: "</script>" or "<!--" would end or
# confuse it. Escaped as JSON \u sequences, the data is unchanged for any JSON reader.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


KIND_NAMES = {"ome-zarr": "OME-Zarr", "original": "original"}


def organisation(*, name: str, ror: str) -> dict[str, Any]:
    found: dict[str, Any] = {"@type": "Organization", "name": name}
    if ror:
        found["@id"] = ror
        found["identifier"] = ror
    return found


def person(author: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"@type": "Person", "name": author.name}
    if author.orcid:
        found["@id"] = author.orcid_url
        found["identifier"] = author.orcid_url
    if author.email:
        found["email"] = author.email
    if author.affiliation:
        found["affiliation"] = organisation(name=author.affiliation, ror=author.ror)
    return found


def dataset(record: DatasetRecord) -> dict[str, Any]:
    identifiers: list[Any] = [record.accession]
    if record.doi:
        identifiers.insert(
            0,
            {
                "@type": "PropertyValue",
                "propertyID": "DOI",
                "value": record.doi,
                "url": record.doi_url,
            },
        )
    document: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": record.url,
        "url": record.url,
        "identifier": identifiers,
        "name": record.title,
        "description": record.description,
        "keywords": record.keywords,
        "creator": [person(author) for author in record.authors],
        "publisher": organisation(name=record.facility_name, ror=record.facility_ror),
        "about": [
            {
                "@type": "Taxon",
                "@id": taxon.iri,
                "name": taxon.scientific_name,
                **({"alternateName": taxon.common_name} if taxon.common_name else {}),
            }
            for taxon in record.organisms
        ],
        "measurementMethod": [
            {
                "@type": "DefinedTerm",
                "@id": method.iri,
                "name": method.name,
                "termCode": method.term_id,
            }
            for method in record.methods
        ],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f"{download.name} ({KIND_NAMES[download.kind]})",
                "contentUrl": download.url,
                "encodingFormat": download.encoding_format,
                **({"contentSize": f"{download.size} B"} if download.size is not None else {}),
            }
            for download in record.downloads
        ],
        "size": [
            {"@type": "QuantitativeValue", "value": len(record.files), "unitText": "files"},
            {"@type": "QuantitativeValue", "value": record.total_bytes, "unitText": "bytes"},
        ],
        "isAccessibleForFree": True,
        "citation": record.citation,
    }
    if record.thumbnail_urls:
        document["thumbnailUrl"] = record.thumbnail_urls
    if record.licence_url:
        document["license"] = record.licence_url
    if record.date_published:
        document["datePublished"] = record.date_published
    if record.doi:
        document["sameAs"] = record.doi_url
    return document


def script_json(document: dict[str, Any]) -> str:
    """`document` as text safe to place inside a <script> element."""
    return json.dumps(document, ensure_ascii=False, sort_keys=False).translate(_SCRIPT_ESCAPES)
