"""Reads of published datasets: the landing page's dataset (public, embargoed or hidden),
its files and objects, its JSON, how it is credited and cited, and the public catalogue.

The public catalogue: every released dataset, for people and harvesters to find.

A dataset is listed once it is published and its release date (the embargo) has come; what an
embargoed dataset is about is not listed, as its landing page does not show it either.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from submissions.accounts.models import User
from submissions.core import keys
from submissions.core.errors import NotFound
from submissions.core.viewer import ViewerImage, describe_image
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.lifecycle.selectors import submissions_visible_to
from submissions.processing.models import ConversionJob, JobState
from submissions.processing.services import files_to_keep
from submissions.publication.models import Publication
from submissions.rembi.services.vocab import LICENCES

logger = logging.getLogger(__name__)
MAX_QUERY = 200


# --- One published dataset ----------------------------------------------------------------


def release_date(submission: Submission) -> dt.date | None:
    """metadata["study"]["release_date"] as a date; None if absent or unreadable."""
    metadata = submission.metadata if isinstance(submission.metadata, dict) else {}
    study = metadata.get("study")
    raw = study.get("release_date") if isinstance(study, dict) else None
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        logger.warning("unreadable release date %r on %s", raw, submission.pk)
        return None


@dataclass
class DatasetView:
    submission: Submission
    publication: Publication
    embargoed_until: dt.date | None
    # True when the viewer may see files: released, or the owner / their group / curators.
    full_access: bool
    files: list[dict[str, Any]] = field(default_factory=list)


def published_dataset(*, accession: str, user: User | None) -> DatasetView:
    """A published dataset by accession; embargoed ones show files only to those involved."""
    submission = (
        Submission.objects.filter(accession=accession, status=SubmissionStatus.PUBLISHED)
        .select_related("publication", "owner", "facility")
        .first()
    )
    publication = getattr(submission, "publication", None) if submission else None
    if submission is None or publication is None or publication.state != JobState.SUCCEEDED:
        raise NotFound("No published dataset has this accession.")
    until = release_date(submission)
    embargoed = until is not None and until > timezone.localdate()
    involved = bool(
        user is not None
        and user.is_authenticated
        and submissions_visible_to(user=user).filter(pk=submission.pk).exists()
    )
    view = DatasetView(
        submission=submission,
        publication=publication,
        embargoed_until=until if embargoed else None,
        full_access=not embargoed or involved,
    )
    if view.full_access:
        view.files = dataset_files(submission=submission)
    return view


def dataset_files(*, submission: Submission) -> list[dict[str, Any]]:
    jobs = {job.data_file_id: job for job in ConversionJob.objects.filter(submission=submission)}
    rows = []
    for data_file in files_to_keep(submission=submission):
        job = jobs.get(data_file.pk)
        provenance = job.provenance if job else {}
        rows.append(
            {
                "id": str(data_file.pk),
                "name": data_file.name,
                "size": data_file.size,
                "sha256": data_file.sha256 or provenance.get("input_sha256") or "",
                "ome_zarr": {
                    "path": f"{data_file.pk}.ome.zarr",
                    "bytes": job.output_bytes,
                    "objects": job.object_count,
                }
                if job
                else None,
                "has_thumbnail": bool(job and job.thumbnail_key),
                "zarr_path": reverse(
                    "dataset-zarr-root", args=[submission.accession, str(data_file.pk)]
                )
                if job
                else "",
                "converter": {
                    "name": provenance.get("converter"),
                    "version": provenance.get("converter_version"),
                }
                if job
                else None,
                "inspection": _inspection_summary(data_file.inspection),
                "description": describe_image(data_file.inspection),
            }
        )
    return rows


def viewer_images(*, view: DatasetView) -> list[ViewerImage]:
    """The dataset's OME-Zarr images for the viewer, read through the dataset's own public
    addresses (so the embargo rules of `dataset_object_key` hold for every byte)."""
    return [
        ViewerImage(name=row["name"], url=row["zarr_path"], description=row["description"])
        for row in view.files
        if row["ome_zarr"]
    ]


def _inspection_summary(inspection: dict[str, Any]) -> dict[str, Any] | None:
    series = inspection.get("series") if isinstance(inspection, dict) else None
    if not series:
        return None
    first = series[0]
    return {
        "format": inspection.get("format_name"),
        "series": len(series),
        "sizes": first.get("sizes"),
        "pixel_type": first.get("pixel_type"),
        "physical_sizes": first.get("physical_sizes"),
        "channel_names": first.get("channel_names"),
        # For display: unnamed channels (common in plain TIFFs) are left out.
        "channels": ", ".join(str(n) for n in first.get("channel_names") or [] if str(n).strip()),
    }


def dataset_object_key(*, view: DatasetView, file_id: str, kind: str, path: str = "") -> str:
    """The archive key of a published file's original, thumbnail or OME-Zarr object."""

    if not view.full_access:
        raise NotFound("This dataset is under embargo.")
    known = {row["id"]: row for row in view.files}
    row = known.get(file_id)
    accession = view.publication.accession
    if row is None:
        raise NotFound("No such file in this dataset.")
    if kind == "original":
        return keys.original_key(accession, file_id)
    if kind == "thumbnail" and row["has_thumbnail"]:
        return keys.thumbnail_key(accession=accession, file_id=file_id)
    parts = [part for part in path.split("/") if part]
    if kind == "zarr" and row["ome_zarr"] and parts and all(p not in {".", ".."} for p in parts):
        return f"{keys.archive_prefix(accession=accession, file_id=file_id)}/{'/'.join(parts)}"
    raise NotFound("No such object in this dataset.")


def dataset_document(*, view: DatasetView, base_url: str) -> dict[str, Any]:
    """The machine-readable description of a published dataset (the landing page as JSON)."""

    submission, accession = view.submission, view.publication.accession
    root = base_url.rstrip("/")
    document: dict[str, Any] = {
        "accession": accession,
        "title": submission.title,
        "url": root + reverse("dataset-landing", args=[accession]),
        "published_at": view.publication.marker_written_at,
        "embargoed_until": view.embargoed_until,
    }
    if not view.full_access:
        return document
    document["metadata"] = submission.metadata
    files = []
    for row in view.files:
        entry = {key: row[key] for key in ("id", "name", "size", "sha256", "inspection")}
        entry["download_url"] = root + reverse("dataset-original", args=[accession, row["id"]])
        if row["ome_zarr"]:
            entry["ome_zarr"] = {
                **row["ome_zarr"],
                "url": root + reverse("dataset-zarr-root", args=[accession, row["id"]]),
                "converter": row["converter"],
            }
        if row["has_thumbnail"]:
            entry["thumbnail_url"] = root + reverse(
                "dataset-thumbnail", args=[accession, row["id"]]
            )
        files.append(entry)
    document["files"] = files
    return document


# --- The public catalogue and credits ------------------------------------------------------


def released_datasets(*, q: str = "") -> QuerySet[Submission]:
    """Published, released datasets, newest first; `q` matches title, keywords or accession."""
    today = timezone.localdate().isoformat()
    released = Q(metadata__study__release_date__lte=today) | Q(
        metadata__study__release_date__isnull=True
    )
    found = Submission.objects.filter(
        released,
        status=SubmissionStatus.PUBLISHED,
        publication__state=JobState.SUCCEEDED,
    ).select_related("facility", "publication")
    q = q.strip()[:MAX_QUERY]
    if q:
        found = found.filter(
            Q(title__icontains=q)
            | Q(accession__iexact=q)
            | Q(metadata__study__keywords__icontains=q)
            | Q(metadata__study__description__icontains=q)
        )
    return found.order_by("-publication__marker_written_at", "-pk")


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
