"""Reads of published datasets: the landing page's dataset (released, embargoed, withdrawn or
hidden), its files and objects, its JSON, and the sets every public listing starts from.

A dataset is public once it is released (`Publication.released_at`, set by
`services.release`) and not withdrawn. While embargoed, the world learns only its accession,
facility and release date (and its title if the facility chooses); people involved in the
submission see everything. Every public listing (catalogue, datasets API, OAI-PMH) starts from
`public_datasets`, so an embargoed dataset is in none of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from submissions.accounts.models import User
from submissions.core import keys
from submissions.core.errors import NotFound
from submissions.core.viewer import ViewerImage, describe_image
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.lifecycle.selectors import submissions_visible_to
from submissions.processing.models import ConversionJob, JobState
from submissions.processing.services import files_to_keep
from submissions.publication.formats.record import DatasetRecord, dataset_record
from submissions.publication.models import Publication
from submissions.rembi import services as rembi

logger = logging.getLogger(__name__)
MAX_QUERY = 200


# --- The sets every public listing starts from ---------------------------------------------


def public_datasets() -> QuerySet[Submission]:
    """Released, published, not withdrawn: what the world may list and read."""
    return Submission.objects.filter(
        status=SubmissionStatus.PUBLISHED,
        publication__state=JobState.SUCCEEDED,
        publication__released_at__isnull=False,
        publication__tombstoned_at=None,
    ).select_related("facility", "publication", "doi_registration")


def harvestable_publications() -> QuerySet[Publication]:
    """What OAI-PMH announces: every dataset that was ever released, withdrawn ones included
    (as deleted records). One never released is not announced, even once withdrawn."""
    return Publication.objects.filter(
        released_at__isnull=False,
        state=JobState.SUCCEEDED,
        submission__status__in=[SubmissionStatus.PUBLISHED, SubmissionStatus.TOMBSTONED],
    ).select_related("submission", "submission__facility", "submission__doi_registration")


# --- One published dataset ----------------------------------------------------------------


@dataclass
class DatasetView:
    submission: Submission
    publication: Publication
    embargoed_until: dt.date | None
    # True when the viewer may see files: released, or the owner / their group / curators.
    full_access: bool
    # The title is shown once released, to those involved, or if the facility shows the
    # titles of embargoed datasets.
    show_title: bool = True
    tombstoned: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def released(self) -> bool:
        return self.publication.is_released


def published_dataset(*, accession: str, user: User | None) -> DatasetView:
    """A published (or withdrawn) dataset by accession, as `user` may see it."""
    submission = (
        Submission.objects.filter(
            accession=accession,
            status__in=[SubmissionStatus.PUBLISHED, SubmissionStatus.TOMBSTONED],
        )
        .select_related("publication", "owner", "facility", "doi_registration")
        .first()
    )
    publication = getattr(submission, "publication", None) if submission else None
    if submission is None or publication is None or publication.state != JobState.SUCCEEDED:
        raise NotFound("No published dataset has this accession.")
    involved = bool(
        user is not None
        and user.is_authenticated
        and submissions_visible_to(user=user).filter(pk=submission.pk).exists()
    )
    if publication.tombstoned_at is not None:
        was_public = publication.released_at is not None
        return DatasetView(
            submission=submission,
            publication=publication,
            embargoed_until=None,
            full_access=False,
            show_title=was_public or involved or submission.facility.show_embargoed_titles,
            tombstoned=True,
        )
    embargoed = publication.released_at is None
    view = DatasetView(
        submission=submission,
        publication=publication,
        embargoed_until=publication.release_date if embargoed else None,
        full_access=not embargoed or involved,
        show_title=not embargoed or involved or submission.facility.show_embargoed_titles,
    )
    if view.full_access:
        view.files = dataset_files(submission=submission)
    return view


def public_record(*, view: DatasetView) -> DatasetRecord | None:
    """The machine-readable record of a released dataset (or a withdrawn one that was
    released, for its tombstone); None while embargoed, whoever asks."""
    if view.publication.released_at is None:
        return None
    return dataset_record(submission=view.submission)


def released_dataset(*, accession: str) -> Submission:
    """A released dataset by accession, for machine-readable forms; 404 otherwise."""
    submission = public_datasets().filter(accession=accession).first()
    if submission is None:
        raise NotFound("No released dataset has this accession.")
    return submission


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
    """The machine-readable description of a published dataset (the landing page as JSON).

    Embargoed: the accession, facility and release date only (the title if the facility
    shows it). Withdrawn: what the tombstone shows. The REMBI description is the public one
    (an author's e-mail only for the contact)."""

    submission, accession = view.submission, view.publication.accession
    root = base_url.rstrip("/")
    document: dict[str, Any] = {
        "accession": accession,
        "url": root + reverse("dataset-landing", args=[accession]),
        "facility": submission.facility.name,
    }
    if view.show_title:
        document["title"] = submission.title
    if view.tombstoned:
        document["withdrawn"] = {
            "date": view.publication.tombstoned_at,
            "reason": view.publication.tombstone_reason if view.show_title else "",
        }
        return document
    document["released_at"] = view.publication.released_at
    document["embargoed_until"] = view.embargoed_until
    if not view.full_access:
        return document
    document["published_at"] = view.publication.marker_written_at
    document["metadata"] = rembi.public_document(submission.metadata)
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


# --- The public catalogue ------------------------------------------------------------------


def released_datasets(*, q: str = "") -> QuerySet[Submission]:
    """Released datasets, newest release first; `q` matches title, keywords or accession."""
    found = public_datasets()
    q = q.strip()[:MAX_QUERY]
    if q:
        found = found.filter(
            Q(title__icontains=q)
            | Q(accession__iexact=q)
            | Q(metadata__study__keywords__icontains=q)
            | Q(metadata__study__description__icontains=q)
        )
    return found.order_by("-publication__released_at", "-pk")
