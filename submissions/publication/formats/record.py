"""One published dataset gathered once, as every machine-readable form describes it.

schema.org JSON-LD, the GIDE RO-Crate, DataCite (REST and OAI-PMH), Dublin Core and the
public datasets API are each a rendering of a `DatasetRecord`, so they cannot disagree: the
same landing URL as identifier, the same authors (an e-mail only for a contact author), the
same organisms (NCBITaxon IRIs), imaging methods (FBbi IRIs), files, sizes and DOI.

URLs are built on SITE_URL, the portal's public address, never on the request's host: the
identifiers a harvester stores must not depend on how it reached the portal.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse

from submissions.lifecycle.models import Submission
from submissions.processing.models import ConversionJob
from submissions.processing.services import files_to_keep
from submissions.publication.models import DoiState, Publication
from submissions.rembi import services as rembi
from submissions.rembi.services import vocab

OBO = "http://purl.obolibrary.org/obo/"
OME_ZARR_FORMAT = "https://ngff.openmicroscopy.org/"  # no registered media type exists


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def landing_url(accession: str) -> str:
    return absolute(reverse("dataset-landing", args=[accession]))


def taxon_iri(taxon_id: str) -> str:
    return f"{OBO}NCBITaxon_{taxon_id}"


def fbbi_iri(term_id: str) -> str:
    return f"{OBO}{term_id.replace(':', '_')}"


@dataclass(frozen=True)
class Person:
    name: str
    orcid: str = ""
    email: str = ""  # only for an author marked as the contact
    affiliation: str = ""
    ror: str = ""

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""


@dataclass(frozen=True)
class Taxon:
    taxon_id: str
    scientific_name: str
    common_name: str = ""

    @property
    def iri(self) -> str:
        return taxon_iri(self.taxon_id)


@dataclass(frozen=True)
class Method:
    term_id: str  # FBbi:00000253
    name: str

    @property
    def iri(self) -> str:
        return fbbi_iri(self.term_id)


@dataclass(frozen=True)
class Download:
    """One file a person or program can fetch: an OME-Zarr tree or an original."""

    kind: str  # "ome-zarr" | "original"
    file_id: str
    name: str
    url: str
    encoding_format: str
    size: int | None


@dataclass(frozen=True)
class FileRecord:
    id: str
    name: str
    size: int
    sha256: str
    original_url: str
    zarr_url: str
    zarr_bytes: int | None
    zarr_objects: int | None
    thumbnail_url: str


@dataclass(frozen=True)
class DatasetRecord:
    accession: str
    url: str
    title: str
    description: str
    keywords: list[str]
    licence_url: str
    licence_name: str
    released_on: dt.date | None
    published_on: dt.date | None
    facility_name: str
    facility_slug: str
    facility_ror: str
    authors: list[Person]
    organisms: list[Taxon]
    methods: list[Method]
    files: list[FileRecord]
    total_bytes: int
    doi: str  # only once findable: a DOI that does not resolve yet is not cited
    doi_pending: bool
    grants: list[dict[str, str]] = field(default_factory=list)
    publications: list[dict[str, str]] = field(default_factory=list)
    tombstoned_on: dt.date | None = None
    tombstone_reason: str = ""

    @property
    def year(self) -> int | None:
        day = self.released_on or self.published_on
        return day.year if day else None

    @property
    def date_published(self) -> str:
        day = self.released_on or self.published_on
        return day.isoformat() if day else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def thumbnail_urls(self) -> list[str]:
        return [f.thumbnail_url for f in self.files if f.thumbnail_url]

    @property
    def downloads(self) -> list[Download]:
        found: list[Download] = []
        for f in self.files:
            if f.zarr_url:
                found.append(
                    Download("ome-zarr", f.id, f.name, f.zarr_url, OME_ZARR_FORMAT, f.zarr_bytes)
                )
            if f.original_url:
                media = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
                found.append(Download("original", f.id, f.name, f.original_url, media, f.size))
        return found

    @property
    def citation(self) -> str:
        names = ", ".join(author.name for author in self.authors) or self.facility_name
        where = self.doi_url or self.url
        return (
            f"{names} ({self.year or 'n.d.'}). {self.title}. {self.facility_name}, "
            f"Aperture dataset {self.accession}. {where}"
        )


def dataset_record(*, submission: Submission) -> DatasetRecord:
    """The record of a published (or tombstoned) dataset; callers decide who may read it."""
    publication: Publication = submission.publication
    document = rembi.public_document(submission.metadata)
    study = document["study"]
    accession = publication.accession
    registration = getattr(submission, "doi_registration", None)
    findable = registration is not None and registration.state == DoiState.FINDABLE
    doi_expected = settings.DOI_PROVIDER != "none"
    return DatasetRecord(
        accession=accession,
        url=landing_url(accession),
        title=submission.title or study["title"],
        description=study["description"] or submission.title,
        keywords=list(study["keywords"]),
        licence_url=study["licence"],
        licence_name=vocab.LICENCES.get(study["licence"], study["licence"]),
        released_on=publication.released_at.date() if publication.released_at else None,
        published_on=publication.marker_written_at.date()
        if publication.marker_written_at
        else None,
        facility_name=submission.facility.name,
        facility_slug=submission.facility.slug,
        facility_ror=submission.facility.ror,
        authors=[_person(author) for author in study["authors"] if author["name"]],
        organisms=_organisms(document),
        methods=_methods(document),
        files=_files(submission=submission, accession=accession),
        total_bytes=publication.total_bytes or 0,
        doi=registration.doi if findable and registration else "",
        doi_pending=doi_expected and publication.is_released and not findable,
        grants=[g for g in study["grants"] if g["funder"] or g["grant_id"]],
        publications=[p for p in study["publications"] if p["title"]],
        tombstoned_on=publication.tombstoned_at.date() if publication.tombstoned_at else None,
        tombstone_reason=publication.tombstone_reason,
    )


def _person(author: dict[str, Any]) -> Person:
    return Person(
        name=author["name"],
        orcid=author["orcid"],
        email=author["email"],  # already blank unless the author is the contact
        affiliation=author["affiliation"]["name"],
        ror=author["affiliation"]["ror"],
    )


def _organisms(document: dict[str, Any]) -> list[Taxon]:
    seen: dict[str, Taxon] = {}
    for biosample in document["biosamples"]:
        organism = biosample["organism"]
        if organism["taxon_id"] and organism["taxon_id"] not in seen:
            seen[organism["taxon_id"]] = Taxon(
                taxon_id=organism["taxon_id"],
                scientific_name=organism["scientific_name"],
                common_name=organism["common_name"],
            )
    return list(seen.values())


def _methods(document: dict[str, Any]) -> list[Method]:
    seen: dict[str, Method] = {}
    for acquisition in document["acquisitions"]:
        method = acquisition["imaging_method"]
        if method["id"] and method["id"] not in seen:
            term = vocab.fbbi_terms().get(method["id"])
            seen[method["id"]] = Method(method["id"], term.name if term else method["name"])
    return list(seen.values())


def _files(*, submission: Submission, accession: str) -> list[FileRecord]:
    jobs = {job.data_file_id: job for job in ConversionJob.objects.filter(submission=submission)}
    rows = []
    for data_file in sorted(files_to_keep(submission=submission), key=lambda f: f.name):
        job = jobs.get(data_file.pk)
        args = [accession, str(data_file.pk)]
        rows.append(
            FileRecord(
                id=str(data_file.pk),
                name=data_file.name,
                size=data_file.size,
                sha256=data_file.sha256 or (job.provenance.get("input_sha256", "") if job else ""),
                original_url=absolute(reverse("dataset-original", args=args))
                if settings.ARCHIVE_KEEP_ORIGINALS
                else "",
                zarr_url=absolute(reverse("dataset-zarr-root", args=args)) if job else "",
                zarr_bytes=job.output_bytes if job else None,
                zarr_objects=job.object_count if job else None,
                thumbnail_url=absolute(reverse("dataset-thumbnail", args=args))
                if job and job.thumbnail_key
                else "",
            )
        )
    return rows
