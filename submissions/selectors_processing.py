"""Reads for processing progress and for published datasets (landing page, JSON, downloads)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from submissions.models import (
    ConversionJob,
    DataFile,
    JobState,
    Publication,
    Submission,
    SubmissionStatus,
    User,
)
from submissions.selectors import submissions_visible_to
from submissions.services.exceptions import NotFound
from submissions.services.permissions import can_curate

logger = logging.getLogger(__name__)


# --- Progress -----------------------------------------------------------------------------------


@dataclass
class ProcessingView:
    submission: Submission
    jobs: list[ConversionJob]
    publication: Publication | None
    can_retry: bool
    # Curators see what went wrong on our side (error_details); researchers see error_message.
    show_details: bool
    active: bool
    overall: float


def processing_view(*, submission: Submission, user: User) -> ProcessingView:
    """What the researcher and curator see of a submission's background work."""
    jobs = list(
        ConversionJob.objects.filter(submission=submission)
        .select_related("data_file")
        .order_by("data_file__name", "created_at")
    )
    publication = Publication.objects.filter(submission=submission).first()
    active = submission.status in (SubmissionStatus.APPROVED, SubmissionStatus.PROCESSING)
    overall = sum(job.progress for job in jobs) / len(jobs) if jobs else 0.0
    if submission.status == SubmissionStatus.PUBLISHED:
        overall = 1.0
    curator = can_curate(user=user, submission=submission)
    return ProcessingView(
        submission=submission,
        jobs=jobs,
        publication=publication,
        can_retry=submission.status == SubmissionStatus.PROCESSING_FAILED and curator,
        show_details=curator,
        active=active,
        overall=overall,
    )


def inspected_files(*, submission: Submission) -> QuerySet[DataFile]:
    return submission.files.order_by("name", "created_at")


# --- Published datasets -------------------------------------------------------------------------


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
    from submissions.services.processing import files_to_keep

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
            }
        )
    return rows


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
    from submissions.services.conversion_jobs import archive_prefix, thumbnail_key
    from submissions.services.publication import original_key

    if not view.full_access:
        raise NotFound("This dataset is under embargo.")
    known = {row["id"]: row for row in view.files}
    row = known.get(file_id)
    accession = view.publication.accession
    if row is None:
        raise NotFound("No such file in this dataset.")
    if kind == "original":
        return original_key(accession, file_id)
    if kind == "thumbnail" and row["has_thumbnail"]:
        return thumbnail_key(accession=accession, file_id=file_id)
    parts = [part for part in path.split("/") if part]
    if kind == "zarr" and row["ome_zarr"] and parts and all(p not in {".", ".."} for p in parts):
        return f"{archive_prefix(accession=accession, file_id=file_id)}/{'/'.join(parts)}"
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
