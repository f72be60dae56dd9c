"""The GIDE search profile's detached RO-Crate (RO-Crate 1.2) of a released dataset.

Written from the profile text in BioImage-Archive/gide-search
(resources/rocrate/example-target-detached-rocrate-v0.2/profile.md, January 2026):
- the metadata descriptor `ro-crate-metadata.json`, conformsTo RO-Crate 1.2, about the root;
- the root Dataset's @id is the absolute landing URL; it MUST carry name, description,
  datePublished (ISO 8601 day), license, author (Persons, @id their ORCID iD, else a local
  id), exactly one publisher (an Organization), about (Taxa, @id their NCBITaxon IRI, with
  dwc:scientificName) and measurementMethod (DefinedTerms, @id their FBbi IRI, with a name);
- recommended: thumbnailUrl, identifier, keywords, and size as two QuantitativeValues (file
  count in UO_0000189 "file count", bytes in UO_0000233 "bytes");
- the context is the profile's: RO-Crate 1.2 plus its own term definitions, unchanged.
"""

from __future__ import annotations

from typing import Any

from submissions.publication.formats.record import OBO, DatasetRecord

METADATA_ID = "ro-crate-metadata.json"
RO_CRATE = "https://w3id.org/ro/crate/1.2"
CONTEXT: list[Any] = [
    f"{RO_CRATE}/context",
    {
        "bia": "https://bioimage-archive.org/ro-crate/",
        "obo": OBO,
        "dwc": "http://rs.tdwg.org/dwc/terms/",
        "dwciri": "http://rs.tdwg.org/dwc/iri/",
        "bao": "http://www.bioassayontology.org/bao#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "datePublished": {"@id": "http://schema.org/datePublished", "@type": "xsd:date"},
        "vernacularName": {"@id": "dwc:vernacularName"},
        "scientificName": {"@id": "dwc:scientificName"},
        "hasCellLine": {"@id": "bao:BAO_0002004"},
        "measurementMethod": {"@id": "dwciri:measurementMethod"},
        "seeAlso": {"@id": "rdf:seeAlso"},
        "BioSample": {"@id": "http://schema.org/BioSample"},
        "LabProtocol": {"@id": "http://schema.org/LabProtocol"},
        "labEquipment": {"@id": "http://schema.org/labEquipment"},
    },
]
FILE_COUNT = f"{OBO}UO_0000189"
BYTES = f"{OBO}UO_0000233"


def _ref(entity: dict[str, Any]) -> dict[str, str]:
    return {"@id": entity["@id"]}


def crate(record: DatasetRecord) -> dict[str, Any]:
    graph: dict[str, dict[str, Any]] = {}

    def add(entity: dict[str, Any]) -> dict[str, str]:
        graph.setdefault(entity["@id"], entity)
        return _ref(entity)

    publisher = add(
        {
            "@id": record.facility_ror or f"#facility-{record.facility_slug}",
            "@type": "Organization",
            "name": record.facility_name,
        }
    )
    authors = []
    for n, author in enumerate(record.authors, start=1):
        person: dict[str, Any] = {
            "@id": author.orcid_url or f"#author-{n}",
            "@type": "Person",
            "name": author.name,
        }
        if author.email:
            person["email"] = author.email
        if author.affiliation:
            organisation = add(
                {
                    "@id": author.ror or f"#organisation-{_slug(author.affiliation)}",
                    "@type": "Organization",
                    "name": author.affiliation,
                }
            )
            person["affiliation"] = [organisation]
        authors.append(add(person))
    about = []
    for taxon in record.organisms:
        entity = {"@id": taxon.iri, "@type": "Taxon", "scientificName": taxon.scientific_name}
        if taxon.common_name:
            entity["vernacularName"] = taxon.common_name
        about.append(add(entity))
    methods = [
        add({"@id": method.iri, "@type": "DefinedTerm", "name": method.name})
        for method in record.methods
    ]
    sizes = [
        add(
            {
                "@id": "#file-count",
                "@type": "QuantitativeValue",
                "value": len(record.files),
                "unitCode": FILE_COUNT,
                "unitText": "file count",
            }
        ),
        add(
            {
                "@id": "#total-dataset-size",
                "@type": "QuantitativeValue",
                "value": record.total_bytes,
                "unitCode": BYTES,
                "unitText": "bytes",
            }
        ),
    ]
    root: dict[str, Any] = {
        "@id": record.url,
        "@type": "Dataset",
        "identifier": record.doi_url or record.accession,
        "name": record.title,
        "description": record.description,
        "datePublished": record.date_published,
        "keywords": record.keywords,
        "author": authors,
        "publisher": publisher,
        "about": about,
        "measurementMethod": methods,
        "size": sizes,
        "thumbnailUrl": record.thumbnail_urls,
        "url": record.url,
    }
    if record.licence_url:
        root["license"] = {"@id": record.licence_url}
        add({"@id": record.licence_url, "@type": "CreativeWork", "name": record.licence_name})
    funders = [
        add(
            {
                "@id": f"#grant-{n}",
                "@type": "Grant",
                "name": grant["funder"] or grant["grant_id"],
                "identifier": grant["grant_id"],
            }
        )
        for n, grant in enumerate(record.grants, start=1)
    ]
    if funders:
        root["funder"] = funders
    articles = [
        add(
            {
                "@id": f"https://doi.org/{item['doi']}" if item.get("doi") else f"#publication-{n}",
                "@type": "ScholarlyArticle",
                "name": item["title"],
                **({"datePublished": item["year"]} if item.get("year") else {}),
            }
        )
        for n, item in enumerate(record.publications, start=1)
    ]
    if articles:
        root["seeAlso"] = articles
    descriptor = {
        "@id": METADATA_ID,
        "@type": "CreativeWork",
        "conformsTo": {"@id": RO_CRATE},
        "about": {"@id": record.url},
    }
    return {"@context": CONTEXT, "@graph": [descriptor, root, *graph.values()]}


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60] or "x"
