"""How many archive bytes a submission's converted output will take, known before converting.

At approval the processing code reserves archive quota for the OME-Zarr output. The estimate
is an upper bound built from the inspected dimensions: the uncompressed pixels of every image
at full resolution plus each pyramid level (halving Y and X until both fit one tile), plus a
margin for metadata. Compression only makes the real output smaller; the reservation is then
settled with the size actually written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from django.conf import settings

from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus

PYRAMID_TILE = 256  # a level smaller than this in both Y and X ends the pyramid
METADATA_BYTES_PER_IMAGE = 64 * 1024


def _itemsize(dtype: str | None) -> int:
    try:
        return int(np.dtype(dtype or "uint16").itemsize)
    except TypeError:
        return 2


def estimate_converted_bytes(
    *, shape: Sequence[int], dtype: str = "uint16", keep_original_bytes: int = 0
) -> int:
    """Upper bound of the OME-Zarr bytes for one image of `shape` (last two axes Y, X)."""
    dims = [max(1, int(d)) for d in shape] or [1]
    if len(dims) == 1:
        dims = [1, *dims]
    *outer, height, width = dims
    per_plane = math.prod(outer) * _itemsize(dtype)
    total = 0
    while True:
        total += per_plane * height * width
        if height <= PYRAMID_TILE and width <= PYRAMID_TILE:
            break
        height, width = math.ceil(height / 2), math.ceil(width / 2)
    margin = float(settings.QUOTA_ARCHIVE_ESTIMATE_MARGIN)
    return int(total * margin) + METADATA_BYTES_PER_IMAGE + keep_original_bytes


def _images(inspection: Mapping[str, Any]) -> Iterable[tuple[list[int], str | None]]:
    """(TCZYX shape, pixel type) of each series an inspection found (InspectionResult.as_dict)."""
    series = inspection.get("series")
    for item in series if isinstance(series, list) else []:
        sizes = item.get("sizes") if isinstance(item, Mapping) else None
        if isinstance(sizes, Mapping) and sizes:
            yield [int(sizes.get(axis) or 1) for axis in "TCZYX"], item.get("pixel_type")


def estimate_file_archive_bytes(*, data_file: DataFile) -> int:
    inspection = data_file.inspection if isinstance(data_file.inspection, dict) else {}
    # Publication copies each original beside its OME-Zarr when ARCHIVE_KEEP_ORIGINALS says so.
    keep = data_file.size if settings.ARCHIVE_KEEP_ORIGINALS else 0
    if inspection.get("attachment"):
        return keep  # not an image: archived as it is (with the originals), never converted
    images = list(_images(inspection))
    if not images:
        # Nothing known about the pixels (not inspected yet, or a vendor format only
        # Bio-Formats reads): assume the output is as large as the input, plus the pyramid
        # (4/3) and the margin.
        return int(data_file.size * 4 / 3 * settings.QUOTA_ARCHIVE_ESTIMATE_MARGIN) + keep
    return sum(estimate_converted_bytes(shape=s, dtype=d or "uint16") for s, d in images) + keep


def estimate_submission_archive_bytes(*, submission: Submission) -> int:
    """The files publication archives (verified or inspected), each estimated."""
    files = submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED])
    return sum(estimate_file_archive_bytes(data_file=f) for f in files)
