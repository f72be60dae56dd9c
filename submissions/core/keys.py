"""Every object-storage key Aperture writes, in one place. Keys are always chosen by the
server from ids it made itself (UUIDs, accessions), never from a name a client sent.

staging:  uploads/<submission>/<file>           what a researcher uploaded
          previews/<submission>/<file>.png      the preview made at inspection
          review/<submission>/<job>.ome.zarr    the review copy, converted at submit
          review/<submission>/<job>.png         its thumbnail
          review/<submission>/points/<uuid>.png a curator's screenshot with a change point
archive:  datasets/<accession>/<file>.ome.zarr  the converted image
          datasets/<accession>/<file>.original  the original file, when kept
          datasets/<accession>/thumbnails/<file>.png
          datasets/<accession>/manifest.json, then datasets/<accession>/.published (last)
"""

from __future__ import annotations

from typing import Any


def upload_key(*, submission_id: Any, file_id: Any) -> str:
    return f"uploads/{submission_id}/{file_id}"


def preview_key(*, submission_id: Any, file_id: Any) -> str:
    return f"previews/{submission_id}/{file_id}.png"


def review_job_prefix(*, submission_id: Any, job_id: Any) -> str:
    """Everything one job's attempts wrote in staging (deleted as one tree)."""
    return f"review/{submission_id}/{job_id}"


def review_prefix(*, submission_id: Any, job_id: Any, attempt: str) -> str:
    """Where one attempt writes a file's review copy (its OME-Zarr, converted before approval).
    Named by the job, so a file replaced by new bytes never shares a tree with the old, and by
    the attempt's claim, so a converter that outlives its killed worker never writes into the
    tree a later attempt records (the job keeps the prefix of the attempt that recorded)."""
    return f"{review_job_prefix(submission_id=submission_id, job_id=job_id)}/{attempt}.ome.zarr"


def review_thumbnail_key(*, submission_id: Any, job_id: Any) -> str:
    return f"review/{submission_id}/{job_id}.png"


def point_screenshot_key(*, submission_id: Any, name: Any) -> str:
    return f"review/{submission_id}/points/{name}.png"


def dataset_prefix(accession: str) -> str:
    return f"datasets/{accession}"


def archive_prefix(*, accession: str, file_id: Any) -> str:
    """Where a file's OME-Zarr tree lives in the archive."""
    return f"{dataset_prefix(accession)}/{file_id}.ome.zarr"


def thumbnail_key(*, accession: str, file_id: Any) -> str:
    return f"{dataset_prefix(accession)}/thumbnails/{file_id}.png"


def original_key(accession: str, file_id: Any) -> str:
    return f"{dataset_prefix(accession)}/{file_id}.original"


def manifest_key(accession: str) -> str:
    return f"{dataset_prefix(accession)}/manifest.json"


def marker_key(accession: str) -> str:
    """Written last: a dataset is complete in the archive once this object exists."""
    return f"{dataset_prefix(accession)}/.published"
