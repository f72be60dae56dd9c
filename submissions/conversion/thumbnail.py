"""A PNG preview of a converted image, from the smallest pyramid level (cheap to read)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import zarr
from PIL import Image

from submissions.conversion.ngff import group_attrs, ome_attrs, open_level, read_multiscale
from submissions.conversion.target import OutputLocation, read_store

# Percentiles for the contrast stretch: microscopy data rarely fills its dtype's range, and a
# few hot pixels would otherwise flatten everything else to black.
_LOW_PERCENTILE = 0.5
_HIGH_PERCENTILE = 99.5


def _stretch(plane: np.ndarray) -> np.ndarray:
    values = plane.astype(np.float32)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(plane.shape, dtype=np.uint8)
    low, high = np.percentile(finite, [_LOW_PERCENTILE, _HIGH_PERCENTILE])
    if high <= low:
        high = low + 1.0
    scaled = (np.nan_to_num(values, nan=low) - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _smallest_level(group: zarr.Group) -> zarr.Array:
    attrs = group_attrs(group)
    multiscale = read_multiscale(ome_attrs(attrs, nested="ome" in attrs))
    return open_level(group, multiscale.dataset_paths[-1])


def make_thumbnail(
    *,
    zarr_path: Path | None = None,
    output: OutputLocation | None = None,
    series: int = 0,
    max_size: int = 256,
) -> bytes:
    """PNG bytes of series ``series`` of a folder ``zarr_path`` or any ``output`` location:
    middle z, first t, first three channels as RGB.

    One channel gives a grayscale image; two or three give R, G (and B). The longer side is
    at most ``max_size`` pixels.
    """
    location = output if output is not None else zarr_path
    if location is None:
        raise TypeError("pass zarr_path or output")
    group = zarr.open_group(read_store(location), path=str(series), mode="r")
    array = _smallest_level(group)
    _, c_size, z_size, _, _ = array.shape
    planes = [np.asarray(array[0, c, z_size // 2]) for c in range(min(c_size, 3))]
    return render_png(planes, max_size=max_size)


def render_png(raw_planes: list[np.ndarray], *, max_size: int = 256) -> bytes:
    """PNG bytes of one to three 2-D planes, each contrast-stretched: gray, or R, G (and B)."""
    planes = [_stretch(plane) for plane in raw_planes]
    channels = len(planes)
    if channels == 1:
        image = Image.fromarray(planes[0])
    else:
        while len(planes) < 3:
            planes.append(np.zeros_like(planes[0]))
        image = Image.fromarray(np.stack(planes, axis=-1))
    image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
