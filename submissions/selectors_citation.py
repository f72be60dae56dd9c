"""How a published dataset is credited and cited: its authors, licence and citation line, and
the schema.org Dataset description that dataset search engines read from the landing page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from submissions.selectors_processing import DatasetView
from submissions.services.rembi.vocab import LICENCES


@dataclass(frozen=True)
class Author:
    name: str
    orcid: str
    affiliation: str
    ror: str


@dataclass(frozen=True)
class Credits:
    authors: list[Author]
    licence_url: str
    licence_name: str
    year: int | None
    citation: str


def dataset_credits(*, view: DatasetView, url: str) -> Credits:
    """Authors, licence and a citation line ("Authors (year). Title. Facility. Accession. URL")."""
    study = view.submission.metadata.get("study") if view.submission.metadata else None
    study = study if isinstance(study, dict) else {}
    authors = [_author(raw) for raw in study.get("authors") or [] if isinstance(raw, dict)]
    authors = [author for author in authors if author.name]
    licence_url = str(study.get("licence") or "")
    published = view.publication.marker_written_at
    year = published.year if published else None
    names = ", ".join(author.name for author in authors) or view.submission.facility.name
    citation = (
        f"{names} ({year or 'n.d.'}). {view.submission.title}. {view.submission.facility.name}, "
        f"Aperture dataset {view.publication.accession}. {url}"
    )
    return Credits(
        authors=authors,
        licence_url=licence_url,
        licence_name=LICENCES.get(licence_url, licence_url),
        year=year,
        citation=citation,
    )


def schema_org_dataset(*, view: DatasetView, credits: Credits, url: str) -> dict[str, Any]:
    """A schema.org Dataset (JSON-LD) for the landing page's <head>."""
    study = view.submission.metadata.get("study") or {}
    creators = []
    for author in credits.authors:
        person: dict[str, Any] = {"@type": "Person", "name": author.name}
        if author.orcid:
            person["@id"] = f"https://orcid.org/{author.orcid}"
        if author.affiliation:
            person["affiliation"] = {"@type": "Organization", "name": author.affiliation}
            if author.ror:
                person["affiliation"]["@id"] = author.ror
        creators.append(person)
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "identifier": view.publication.accession,
        "name": view.submission.title,
        "description": str(study.get("description") or view.submission.title),
        "keywords": [str(k) for k in study.get("keywords") or []],
        "creator": creators,
        "publisher": {"@type": "Organization", "name": view.submission.facility.name},
        "isAccessibleForFree": True,
        "citation": credits.citation,
    }
    if credits.licence_url:
        document["license"] = credits.licence_url
    if view.publication.marker_written_at:
        document["datePublished"] = view.publication.marker_written_at.date().isoformat()
    return document


def _author(raw: dict[str, Any]) -> Author:
    affiliation = raw.get("affiliation")
    affiliation = affiliation if isinstance(affiliation, dict) else {}
    return Author(
        name=str(raw.get("name") or "").strip(),
        orcid=str(raw.get("orcid") or "").strip(),
        affiliation=str(affiliation.get("name") or "").strip(),
        ror=str(affiliation.get("ror") or "").strip(),
    )
