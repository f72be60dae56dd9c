"""The built-in converter: TIFF family, CZI, ND2, LIF -> OME-Zarr (bioformats2raw layout), streamed.

TIFF is read natively (readers.py, tiff_planes.py), the vendor formats through bioio
(bioio_reader.py).

Work is split by plane (t, c, z) across a thread pool: reading, 2x2 mean downsampling and
Blosc/Zstd encoding all release the GIL, and planes never share a chunk, so workers never
contend for one. Only running planes hold pixels: a plane up to WHOLE_PLANE_LIMIT_BYTES is
read whole, a larger one in bands of ``tile_height`` rows, so peak memory is about
``max_workers`` x (plane or band) x ~2 for the pyramid levels, whatever the file size. It
does grow with plane *width* (a band spans the full width), which is fine up to ~40k px.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from submissions.conversion.builtin.metadata import SeriesInfo, minimal_ome_xml, omero
from submissions.conversion.builtin.pyramid import PlaneCascade, level_shapes
from submissions.conversion.builtin.readers import WHOLE_PLANE_LIMIT_BYTES, iter_planes
from submissions.conversion.builtin.sources import ImageSource, SeriesReader, open_source
from submissions.conversion.builtin.writer import DEFAULT_SHARD_BYTES, LevelWriter, OmeZarrWriter
from submissions.conversion.errors import UserFileError
from submissions.conversion.target import OutputLocation, S3Location, open_target

CONVERTER_NAME = "aperture-builtin"
CONVERTER_VERSION = "1.0"

ProgressCallback = Callable[[float], None]
# Reading an input kept in S3: bytes per ranged GET (see _open_input).
S3_INPUT_BLOCK_BYTES = 4 * 2**20
# One plane to convert: where to read it, the writer per pyramid level, and its (t, c, z).
PlaneJob = tuple[SeriesReader, list[LevelWriter], tuple[int, int, int]]


def converter_version() -> str:
    """Our version plus the libraries that decide the bytes we write (for provenance)."""
    parts = [CONVERTER_VERSION]
    for package in ("tifffile", "bioio", "zarr", "numcodecs"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} ?")
    return f"{parts[0]} ({', '.join(parts[1:])})"


@dataclass
class ConversionSummary:
    output: OutputLocation
    series: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0


class _Ranges:
    """Minimum and maximum of each channel's full-resolution pixels, gathered as planes are
    converted (for the "omero" display window), thread-safely."""

    def __init__(self) -> None:
        self._ranges: dict[tuple[int, int], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def add(self, *, series: int, channel: int, rows: np.ndarray) -> None:
        if rows.dtype.kind == "f":
            finite = rows[np.isfinite(rows)]
            if finite.size == 0:
                return
            low, high = float(finite.min()), float(finite.max())
        else:
            low, high = float(rows.min()), float(rows.max())
        key = (series, channel)
        with self._lock:
            known = self._ranges.get(key)
            if known is not None:
                low, high = min(low, known[0]), max(high, known[1])
            self._ranges[key] = (low, high)

    def of(self, info: SeriesInfo) -> list[tuple[float, float] | None]:
        return [self._ranges.get((info.index, c)) for c in range(info.shape[1])]


class _Progress:
    """Thread-safe fraction of level-0 pixels written, reported at most every 1%."""

    def __init__(self, *, total: int, callback: ProgressCallback | None) -> None:
        self._total = max(total, 1)
        self._done = 0
        self._reported = -1.0
        self._callback = callback
        self._lock = threading.Lock()

    def advance(self, units: int) -> None:
        if self._callback is None:
            return
        with self._lock:
            self._done += units
            fraction = min(self._done / self._total, 1.0)
            if fraction - self._reported < 0.01 and fraction < 1.0:
                return
            self._reported = fraction
            self._callback(fraction)


def _convert_plane(
    *,
    reader: SeriesReader,
    arrays: list[LevelWriter],
    plane: tuple[int, int, int],
    band_rows: int,
    progress: _Progress,
    ranges: _Ranges,
) -> None:
    t, c, z = plane
    _, _, _, height, width = reader.info.shape

    def write(level: int, y0: int, rows: np.ndarray) -> None:
        arrays[level].write_rows(t=t, c=c, z=z, y0=y0, rows=rows)

    cascade = PlaneCascade(levels=len(arrays), band_rows=band_rows, write=write)
    whole = None
    if reader.plane_bytes <= WHOLE_PLANE_LIMIT_BYTES:
        # One read per plane; bands are views into it, so no extra copies.
        whole = _read(reader, plane, 0, height)
    for y0 in range(0, height, band_rows):
        y1 = min(y0 + band_rows, height)
        rows = whole[y0:y1] if whole is not None else _read(reader, plane, y0, y1)
        ranges.add(series=reader.info.index, channel=c, rows=rows)
        cascade.push(rows)
        progress.advance((y1 - y0) * width)
    cascade.finish()


def _read(reader: SeriesReader, plane: tuple[int, int, int], y0: int, y1: int) -> np.ndarray:
    t, c, z = plane
    try:
        return reader.read_plane_rows(t=t, c=c, z=z, y0=y0, y1=y1)
    except MemoryError:
        raise
    except Exception as error:
        # Decoding pixels failed after the header parsed: a truncated or damaged file.
        raise UserFileError(
            code="corrupt_file",
            message=(
                f"Plane t={t} c={c} z={z} of series {reader.info.index} could not be read "
                f"({error}). The file may be truncated or damaged: please upload it again."
            ),
            details=repr(error),
        ) from error


def _run_planes(
    *,
    jobs: list[PlaneJob],
    band_rows: int,
    max_workers: int,
    progress: _Progress,
    ranges: _Ranges,
) -> None:
    """Convert every plane, keeping at most ``2 * max_workers`` planes queued (memory)."""
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="convert") as pool:
        pending: set[Future[None]] = set()
        for reader, arrays, plane in jobs:
            if len(pending) >= 2 * max_workers:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    future.result()
            pending.add(
                pool.submit(
                    _convert_plane,
                    reader=reader,
                    arrays=arrays,
                    plane=plane,
                    band_rows=band_rows,
                    progress=progress,
                    ranges=ranges,
                )
            )
        for future in pending:
            future.result()


def convert(
    *,
    input_path: Path | S3Location,
    output: OutputLocation,
    resolutions: int | None = None,
    tile_width: int = 1024,
    tile_height: int = 1024,
    compression: str = "blosc",
    max_workers: int | None = None,
    ngff_version: str = "0.5",
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    shard_shape: tuple[int, ...] | None = None,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    input_name: str | None = None,
) -> ConversionSummary:
    """Convert ``input_path`` to OME-Zarr written straight to ``output`` (a folder or an S3
    prefix, see submissions.conversion.target).

    A folder is written under a temporary sibling name and renamed into place only when
    complete, so an existing folder is always a finished conversion; an S3 prefix is emptied
    first and written in place. NGFF 0.5 output is sharded (about ``shard_bytes`` of pixels
    per shard, or ``shard_shape`` TCZYX; ``shard_bytes=0`` for one object per chunk). Raises
    UserFileError for unreadable/unsupported input, ApplicationError for anything else.

    ``input_path`` may be an S3 object (an ``S3Location`` whose prefix is the key) in the
    TIFF family: it is then read by ranged GETs, never copied to local disk. ``input_name``
    is the file name messages show.
    """
    started = time.monotonic()
    if tile_width < 16 or tile_height < 16 or tile_height % 2:
        raise ValueError("tile sizes must be at least 16 and the tile height even")
    if resolutions is not None and resolutions < 1:
        raise ValueError("resolutions must be at least 1")
    workers = max_workers or os.cpu_count() or 1
    target = open_target(output, overwrite=overwrite)
    try:
        with _open_input(input_path, input_name) as source:
            writer = OmeZarrWriter(
                target=target,
                ngff_version=ngff_version,
                compression=compression,
                tile_width=tile_width,
                tile_height=tile_height,
                shard_bytes=shard_bytes,
                shard_shape=shard_shape,
            )
            jobs: list[PlaneJob] = []
            summary = ConversionSummary(output=output)
            for info in source.series:
                _, _, _, height, width = info.shape
                shapes = level_shapes(height=height, width=width, resolutions=resolutions)
                arrays = writer.create_series(info=info, shapes=shapes)
                reader = source.reader(info.index)
                jobs.extend((reader, arrays, plane) for plane in iter_planes(info))
                summary.series.append(_series_summary(info, shapes))
            ome_xml = source.ome_xml or minimal_ome_xml(
                source.series, creator=f"{CONVERTER_NAME} {CONVERTER_VERSION}"
            )
            writer.write_ome_group(series_count=len(source.series), ome_xml=ome_xml)
            total = sum(info.plane_count * info.shape[3] * info.shape[4] for info in source.series)
            progress = _Progress(total=total, callback=on_progress)
            ranges = _Ranges()
            _run_planes(
                jobs=jobs,
                band_rows=tile_height,
                max_workers=workers,
                progress=progress,
                ranges=ranges,
            )
            for info in source.series:
                writer.set_omero(series=info.index, omero=omero(info=info, ranges=ranges.of(info)))
            writer.finish()
        target.commit()
    except BaseException:
        target.abort()
        raise
    summary.duration_s = time.monotonic() - started
    return summary


@contextlib.contextmanager
def _open_input(location: Path | S3Location, name: str | None) -> Iterator[ImageSource]:
    if not isinstance(location, S3Location):
        with open_source(path=Path(location), name=name) as source:
            yield source
        return
    from submissions.core.ranged import open_ranged

    shown = name or location.name
    with (
        open_ranged(
            client=location.client(),
            bucket=location.bucket,
            key=location.prefix,
            name=shown,
            # Pixels are read plane by plane: large blocks make one GET per few MiB, not per
            # 32 KiB (inspection's size, made for reading headers and IFDs).
            block_size=S3_INPUT_BLOCK_BYTES,
            cache_bytes=8 * S3_INPUT_BLOCK_BYTES,
        ) as handle,
        open_source(file=handle, name=shown) as source,
    ):
        yield source


def _series_summary(info: SeriesInfo, shapes: list[tuple[int, int]]) -> dict[str, Any]:
    return {
        "index": info.index,
        "shape": list(info.shape),
        "dtype": info.dtype.name,
        "levels": len(shapes),
    }
