"""Read TIFF-family files plane by plane (or row band by row band) as TCZYX series.

Whole images are never loaded: a plane at most ``WHOLE_PLANE_LIMIT_BYTES`` is read as one
page (the fastest path, one contiguous read per strip run), anything larger is read in row
bands through tifffile's chunked zarr store.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import tifffile
import zarr

from submissions.conversion.builtin.damage import truncation_signs
from submissions.conversion.builtin.metadata import (
    PhysicalSizes,
    SeriesInfo,
    parse_ome_images,
    space_unit,
)
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import detect_format, display_name

# Above this a plane is read in row bands instead of whole (bounds memory per worker).
WHOLE_PLANE_LIMIT_BYTES = 64 * 2**20

_SUPPORTED_KINDS = "biu f"  # bool, signed, unsigned, float: what OME pixel types cover


def _resolution_to_micrometer(page: tifffile.TiffPage, tag: str) -> float | None:
    """Pixel size from the TIFF resolution tags (pixels per inch or per centimetre)."""
    entry = page.tags.get(tag)
    unit = page.tags.get("ResolutionUnit")
    if entry is None or unit is None:
        return None
    numerator, denominator = entry.value
    if not numerator or not denominator:
        return None
    per_unit = numerator / denominator
    unit_um = {2: 25400.0, 3: 10000.0}.get(int(unit.value))
    if unit_um is None:  # "no absolute unit": the tag carries no physical meaning
        return None
    return unit_um / per_unit


def _modulo_parents(ome_xml: str | None) -> dict[str, str]:
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


def _axis_plan(
    axes: str, shape: tuple[int, ...], parents: dict[str, str] | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Assign each of the file's non-YX axes to one of T, C, Z.

    Returns {"T": [(axis, size), ...], ...}: several file axes may fold into one output axis
    (samples S and channels C both become C; an OME modulo axis joins its parent, see
    _modulo_parents; other unknown sequence axes fill Z, then T).
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
        self._plan = _axis_plan(series.axes, series.shape, parents)
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


class TiffSource:
    """An open TIFF-family file: its series, its OME-XML, and readers per series."""

    def __init__(
        self, *, path: Path | None = None, file: IO[bytes] | None = None, name: str | None = None
    ) -> None:
        """Open ``path``, or the open seekable binary ``file`` (which the caller closes).

        ``name`` is the file name messages show (defaults to the path's).
        """
        self.name = display_name(path=path, file=file, name=name)
        opened = file if file is not None else path
        if opened is None:  # display_name has refused it already; this tells mypy
            raise TypeError("pass either path or file")
        detected = detect_format(path=path, file=file, name=self.name)
        if not detected.is_tiff:
            raise UserFileError(
                code="unsupported_format",
                message=(
                    f"{self.name} is a {detected.name} file, not a TIFF: open it with "
                    "submissions.conversion.builtin.sources.open_source."
                ),
            )
        try:
            with truncation_signs() as damage:
                self._tiff = tifffile.TiffFile(opened)
                # Workers read planes concurrently through one file handle; without its lock
                # a seek in one thread moves another thread's read (wrong pixels, silently).
                self._tiff.filehandle.set_lock(True)
                series_list = list(self._tiff.series)
        except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError) as error:
            raise _corrupt(self.name, error) from error
        if damage:
            self._tiff.close()
            raise UserFileError(
                code="truncated_file",
                message=(
                    f"{self.name} ends before the image data it describes: it was probably cut "
                    "short while being copied or exported. Please upload the complete file."
                ),
                details="; ".join(damage),
            )
        if not series_list:
            raise _corrupt(self.name, "no image data found")
        self.ome_xml: str | None = self._tiff.ome_metadata if self._tiff.is_ome else None
        if self._tiff.is_ome:
            self.format_name = "OME-TIFF"
        elif self._tiff.is_imagej:
            self.format_name = "ImageJ TIFF"
        else:
            self.format_name = detected.name
        ome_images = _safe_ome_images(self.ome_xml)
        self._parents = _modulo_parents(self.ome_xml)
        self.series: list[SeriesInfo] = []
        self._readers: list[TiffSeriesReader] = []
        for index, series in enumerate(series_list):
            info = self._describe(index, series, ome_images)
            self.series.append(info)
            self._readers.append(TiffSeriesReader(series=series, info=info, parents=self._parents))

    def reader(self, index: int) -> TiffSeriesReader:
        return self._readers[index]

    def close(self) -> None:
        self._tiff.close()

    def __enter__(self) -> TiffSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _describe(
        self, index: int, series: tifffile.TiffPageSeries, ome_images: list[Any]
    ) -> SeriesInfo:
        dtype = np.dtype(series.dtype)
        if dtype.kind not in _SUPPORTED_KINDS:
            raise UserFileError(
                code="unsupported_pixel_type",
                message=(
                    f"Series {index} of {self.name} has pixel type {dtype.name}, which "
                    "OME-Zarr conversion does not support (integers and floats only)."
                ),
            )
        axes, shape = series.axes, tuple(series.shape)
        if "Y" not in axes or "X" not in axes:
            raise _corrupt(self.name, f"series {index} has no Y/X axes ({axes})")
        plan = _axis_plan(axes, shape, self._parents)
        size = {name: math.prod(s for _, s in plan[name]) for name in ("T", "C", "Z")}
        tczyx = (
            size["T"],
            size["C"],
            size["Z"],
            shape[axes.index("Y")],
            shape[axes.index("X")],
        )
        physical = PhysicalSizes()
        channel_names: tuple[str, ...] = ()
        colors: tuple[str | None, ...] = ()
        wavelengths: tuple[float | None, ...] = ()
        ome = ome_images[index] if index < len(ome_images) else None
        if ome is not None and (ome.size_x, ome.size_y) == (tczyx[4], tczyx[3]):
            physical, channel_names = ome.physical, ome.channel_names
            if len(ome.channel_colors) == tczyx[1]:
                colors, wavelengths = ome.channel_colors, ome.channel_wavelengths
        elif self._tiff.is_imagej:
            physical, channel_names = self._imagej_metadata(series)
        else:
            physical = self._tiff_resolution(series)
        return SeriesInfo(
            index=index,
            name=series.name or f"{self.name} #{index}",
            shape=tczyx,
            dtype=dtype,
            physical=physical,
            channel_names=channel_names,
            source_axes=axes,
            channel_colors=colors,
            channel_wavelengths=wavelengths,
        )

    def _tiff_resolution(self, series: tifffile.TiffPageSeries) -> PhysicalSizes:
        page = series.keyframe
        x = _resolution_to_micrometer(page, "XResolution")
        y = _resolution_to_micrometer(page, "YResolution")
        unit = "micrometer" if x or y else None
        return PhysicalSizes(x=x, y=y, unit=unit)

    def _imagej_metadata(
        self, series: tifffile.TiffPageSeries
    ) -> tuple[PhysicalSizes, tuple[str, ...]]:
        meta = self._tiff.imagej_metadata or {}
        page = series.keyframe
        # ImageJ stores pixels per unit in the resolution tags and the unit in its own text.
        unit_text = str(meta.get("unit", "")).replace("\\u00B5", "µ")
        unit = space_unit(unit_text) if unit_text else None
        size_x = size_y = None
        for tag in ("XResolution", "YResolution"):
            entry = page.tags.get(tag)
            if entry is not None and entry.value[0] and entry.value[1]:
                value = entry.value[1] / entry.value[0]
                if tag == "XResolution":
                    size_x = value
                else:
                    size_y = value
        if unit is None:
            size_x = size_y = None
        spacing = meta.get("spacing")
        z = float(spacing) if spacing and unit else None
        interval = meta.get("finterval")
        labels = meta.get("Labels")
        names = tuple(str(label) for label in labels) if isinstance(labels, list) else ()
        return (
            PhysicalSizes(
                x=size_x,
                y=size_y,
                z=z,
                unit=unit,
                z_unit=unit if z else None,
                t=float(interval) if interval else None,
                t_unit="second" if interval else None,
            ),
            names,
        )


def _safe_ome_images(xml_text: str | None) -> list[Any]:
    if not xml_text:
        return []
    try:
        return parse_ome_images(xml_text)
    except Exception:
        return []


def _corrupt(name: str, error: object) -> UserFileError:
    return UserFileError(
        code="corrupt_file",
        message=(
            f"{name} looks like a TIFF but could not be read ({error}). The file may be "
            "truncated or damaged: please upload it again, or re-export it from the "
            "acquisition software."
        ),
        details=repr(error),
    )


def iter_planes(info: SeriesInfo) -> Iterator[tuple[int, int, int]]:
    t_size, c_size, z_size, _, _ = info.shape
    for t in range(t_size):
        for c in range(c_size):
            for z in range(z_size):
                yield t, c, z
