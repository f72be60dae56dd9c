"""Read one TIFF series plane by plane (or row band by row band) as TCZYX.

Whole images are never loaded: a plane at most ``WHOLE_PLANE_LIMIT_BYTES`` is read as one
page (the fastest path, one contiguous read per strip run), anything larger is read in row
bands through tifffile's chunked zarr store. The file's own axes are mapped onto T, C and Z
by ``axis_plan``.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import numpy as np
import tifffile
import zarr

from submissions.conversion.builtin.metadata import SeriesInfo

# Above this a plane is read in row bands instead of whole (bounds memory per worker).
WHOLE_PLANE_LIMIT_BYTES = 64 * 2**20


def modulo_parents(ome_xml: str | None) -> dict[str, str]:
    """tifffile's letter for each OME ModuloAlongZ/C/T -> that parent axis.

    tifffile turns a modulo annotation (Bio-Formats writes one for ICS channels, FLIM
    lifetimes, SPIM angles) into an axis of its own ("Q" for Type="other"); its planes
    still belong to the parent axis, so they are folded back into it.
    """
    if not ome_xml or "ModuloAlong" not in ome_xml:
        return {}
    parents: dict[str, str] = {}
    for parent, kind in re.findall(r"<(?:\w+:)?ModuloAlong([ZCT])\b[^>]*?Type=\"(\w+)\"", ome_xml):
        code = tifffile.TIFF.AXES_CODES.get(kind, "Q")
        parents.setdefault(code, parent)
    return parents


def axis_plan(
    axes: str, shape: tuple[int, ...], parents: dict[str, str] | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Assign each of the file's non-YX axes to one of T, C, Z.

    Returns {"T": [(axis, size), ...], ...}: several file axes may fold into one output axis
    (samples S and channels C both become C; an OME modulo axis joins its parent, see
    modulo_parents; other unknown sequence axes fill Z, then T).
    """
    plan: dict[str, list[tuple[str, int]]] = {"T": [], "C": [], "Z": []}
    unknown: list[tuple[str, int]] = []
    parents = parents or {}
    for axis, size in zip(axes, shape, strict=True):
        if axis in "YX":
            continue
        if axis in "TCZ":
            plan[axis].append((axis, size))
        elif axis == "S":
            plan["C"].append((axis, size))
        elif axis in parents:
            plan[parents[axis]].append((axis, size))
        else:
            unknown.append((axis, size))
    for axis, size in unknown:
        if size == 1:
            continue
        target = next((name for name in ("Z", "T") if not plan[name]), "Z")
        plan[target].append((axis, size))
    return plan


class TiffSeriesReader:
    """Reads one tifffile series as TCZYX planes, thread-safely."""

    def __init__(
        self,
        *,
        series: tifffile.TiffPageSeries,
        info: SeriesInfo,
        parents: dict[str, str] | None = None,
    ) -> None:
        if series.parent is None:  # tifffile sets it for every series a TiffFile lists
            raise ValueError("the series does not belong to an open TIFF file")
        self._series = series
        self._file: tifffile.TiffFile = series.parent
        self.info = info
        self._axes = series.axes
        self._plan = axis_plan(series.axes, series.shape, parents)
        leading = [(a, s) for a, s in zip(series.axes, series.shape, strict=True) if a not in "YXS"]
        self._leading_axes = [a for a, _ in leading]
        self._leading_shape = tuple(s for _, s in leading)
        self._plane_axes = [a for a in series.axes if a in "YXS"]
        keyframe = series.keyframe
        page_shape = tuple(keyframe.shape) if keyframe is not None else ()
        plane_shape = tuple(s for a, s in zip(series.axes, series.shape, strict=True) if a in "YXS")
        pages = series.pages
        # Page-by-page reading needs one TIFF page per plane; ImageJ files over 4 GiB and
        # volumetric pages do not have that, and go through the zarr store instead.
        self._page_per_plane = (
            page_shape == plane_shape
            and len(pages) == math.prod(self._leading_shape)
            and all(page is not None for page in pages)
        )
        self._store_array: zarr.Array | None = None
        self._store_lock = threading.RLock()

    def _file_index(self, t: int, c: int, z: int) -> dict[str, int]:
        """Map output (t, c, z) to an index per file axis (folded axes unravel C-order)."""
        index: dict[str, int] = {}
        for output_axis, value in (("T", t), ("C", c), ("Z", z)):
            members = self._plan[output_axis]
            sizes = [size for _, size in members]
            unravelled = np.unravel_index(value, sizes) if sizes else ()
            for (axis, _), position in zip(members, unravelled, strict=True):
                index[axis] = int(position)
        return index

    def _store(self) -> zarr.Array:
        with self._store_lock:
            if self._store_array is None:
                self._store_array = zarr.open_array(self._series.aszarr(level=0), mode="r")
            return self._store_array

    def read_plane_rows(self, *, t: int, c: int, z: int, y0: int, y1: int) -> np.ndarray:
        """Rows ``y0:y1`` of plane (t, c, z) as a 2-D array in the file's dtype."""
        index = self._file_index(t, c, z)
        sample = index.get("S")
        if self._page_per_plane and self.plane_bytes <= WHOLE_PLANE_LIMIT_BYTES:
            flat = self._flat_index(index)
            # Loading a page's header seeks the shared file handle, so it must hold the same
            # lock as the pixel reads (enabled in TiffSource); decoding runs unlocked.
            with self._file.filehandle.lock:
                page = self._page(flat)
            data = page.asarray()
            plane_selection = tuple(
                slice(y0, y1) if axis == "Y" else sample if axis == "S" else slice(None)
                for axis in self._plane_axes
            )
            return data[plane_selection]
        if self._page_per_plane:
            rows = self._read_contiguous_rows(flat=self._flat_index(index), y0=y0, y1=y1)
            if rows is not None:
                return rows if sample is None else rows[..., sample]
        selection: list[Any] = []
        for axis in self._axes:
            if axis == "Y":
                selection.append(slice(y0, y1))
            elif axis == "X":
                selection.append(slice(None))
            else:
                selection.append(index.get(axis, 0))
        return np.asarray(self._store()[tuple(selection)])

    def _page(self, flat: int) -> tifffile.TiffPage | tifffile.TiffFrame:
        """Page ``flat`` of the series. Loading it seeks: hold the file handle's lock."""
        page = self._series.pages[flat]
        if page is None:  # only called when _page_per_plane found every page present
            raise ValueError(f"page {flat} of series {self.info.index} is missing")
        return page

    def _flat_index(self, index: dict[str, int]) -> int:
        if not self._leading_shape:
            return 0
        position = tuple(index.get(a, 0) for a in self._leading_axes)
        return int(np.ravel_multi_index(position, self._leading_shape))

    def _read_contiguous_rows(self, *, flat: int, y0: int, y1: int) -> np.ndarray | None:
        """Rows straight from an uncompressed, contiguous page; None if it is not one.

        Such pages are often a single strip, which tifffile's zarr store presents as one
        chunk: reading a band through it would load the whole plane.
        """
        handle = self._file.filehandle
        with handle.lock:
            page = self._page(flat)
            keyframe = page.keyframe
            if (
                keyframe is None
                or keyframe.dtype is None
                or not page.is_contiguous
                or keyframe.planarconfig != 1
                or keyframe.fillorder != 1
                or keyframe.predictor != 1
                or keyframe.bitspersample != keyframe.dtype.itemsize * 8
            ):
                return None
            _, _, _, _, width = self.info.shape
            samples = keyframe.samplesperpixel
            dtype = np.dtype(keyframe.dtype).newbyteorder(self._file.byteorder)
            row_items = width * samples
            handle.seek(page.dataoffsets[0] + y0 * row_items * dtype.itemsize)
            data = handle.read_array(dtype, (y1 - y0) * row_items)
        shape = (y1 - y0, width, samples) if samples > 1 else (y1 - y0, width)
        return data.reshape(shape)

    @property
    def plane_bytes(self) -> int:
        _, _, _, y, x = self.info.shape
        return y * x * self.info.dtype.itemsize
