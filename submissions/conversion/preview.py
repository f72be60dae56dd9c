"""A small preview image of an uploaded file, made at inspection, before any conversion.

Curators review a submission before it is converted, so the thumbnail of the OME-Zarr output
comes too late for them. This reads the middle z-plane of the first series' first three
channels in bands of rows, keeping every n-th row and column, so memory stays small whatever
the plane size. Planes larger than ``max_plane_pixels`` are skipped (their preview comes from
the conversion), since every row of the plane must still be read.
"""

from __future__ import annotations

import math

import numpy as np

from submissions.conversion.builtin.sources import ImageSource, SeriesReader
from submissions.conversion.thumbnail import render_png

MAX_PLANE_PIXELS = 16 * 1024 * 1024
_BAND_ROWS = 512


def make_preview(
    *, source: ImageSource, max_size: int = 256, max_plane_pixels: int = MAX_PLANE_PIXELS
) -> bytes | None:
    """PNG bytes (longer side ≤ ``max_size``), or None when the plane is too large to read."""
    if not source.series:
        return None
    info = source.series[0]
    _, c_size, z_size, height, width = info.shape
    if height * width > max_plane_pixels or height == 0 or width == 0:
        return None
    step = max(1, math.ceil(max(height, width) / (2 * max_size)))
    reader = source.reader(0)
    planes = [
        _sampled_plane(reader, c=c, z=z_size // 2, height=height, step=step)
        for c in range(min(c_size, 3))
    ]
    return render_png(planes, max_size=max_size)


def _sampled_plane(reader: SeriesReader, *, c: int, z: int, height: int, step: int) -> np.ndarray:
    read = reader.read_plane_rows
    band = max(_BAND_ROWS // step, 1) * step  # a multiple of step: the stride stays aligned
    bands = [
        np.asarray(read(t=0, c=c, z=z, y0=y0, y1=min(y0 + band, height)))[::step, ::step]
        for y0 in range(0, height, band)
    ]
    return np.concatenate(bands, axis=0)
