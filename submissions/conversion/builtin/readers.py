"""Read TIFF-family files as TCZYX series: open a file, describe its series (shape, pixel
type, physical sizes, channels) and hand out a reader per series.

The plane reading itself (whole planes or row bands, never whole images) is
``tiff_planes.TiffSeriesReader``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import tifffile

from submissions.conversion.builtin.damage import truncation_signs
from submissions.conversion.builtin.metadata import (
    PhysicalSizes,
    SeriesInfo,
    parse_ome_images,
    space_unit,
)
from submissions.conversion.builtin.tiff_planes import (
    WHOLE_PLANE_LIMIT_BYTES,
    TiffSeriesReader,
    axis_plan,
    modulo_parents,
)
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import detect_format, display_name

__all__ = ["WHOLE_PLANE_LIMIT_BYTES", "TiffSeriesReader", "TiffSource", "iter_planes"]

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
        self._parents = modulo_parents(self.ome_xml)
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
        plan = axis_plan(axes, shape, self._parents)
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
