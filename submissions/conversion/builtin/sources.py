"""Open an image file with the reader for its format: TIFF natively, vendor formats via bioio.

Both readers present the same interface (the protocols below), so the converter, inspection
and previews never ask which one they hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Protocol

import numpy as np

from submissions.conversion.builtin.bioio_reader import BioioSource
from submissions.conversion.builtin.metadata import SeriesInfo
from submissions.conversion.builtin.readers import TiffSource
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import (
    BUILTIN_FORMATS,
    detect_format,
    display_name,
    needs_bioformats,
)


class SeriesReader(Protocol):
    info: SeriesInfo

    def read_plane_rows(self, *, t: int, c: int, z: int, y0: int, y1: int) -> np.ndarray: ...

    @property
    def plane_bytes(self) -> int: ...


class ImageSource(Protocol):
    name: str
    format_name: str
    ome_xml: str | None
    series: list[SeriesInfo]

    def reader(self, index: int) -> SeriesReader: ...

    def close(self) -> None: ...

    def __enter__(self) -> ImageSource: ...

    def __exit__(self, *exc: object) -> None: ...


def needs_local_path(*, file: IO[bytes], name: str) -> bool:
    """True when ``file`` is in a format whose reader needs a path, not an open handle:
    bioio's vendor formats, and what only Bio-Formats reads when Java and its jar are here.

    Raises UserFileError as detect_format does (empty or unrecognised file).
    """
    from submissions.conversion import bioformats

    if (
        needs_bioformats(file=file, name=name)
        and bioformats.available()
        and bioformats.offered_to_bioformats(name)
    ):
        return True
    return detect_format(file=file, name=name).bioio_plugin is not None


def open_source(
    *, path: Path | None = None, file: IO[bytes] | None = None, name: str | None = None
) -> ImageSource:
    """Open a path (any format) or an open seekable binary file (TIFF only) for reading.

    ``name`` is the file name messages show (defaults to the path's). Raises UserFileError
    for bad or unsupported files.
    """
    shown = display_name(path=path, file=file, name=name)
    detected = detect_format(path=path, file=file, name=shown)
    if detected.is_tiff:
        return TiffSource(path=path, file=file, name=shown)
    if detected.bioio_plugin is not None:
        if path is None:
            raise TypeError(f"{shown}: {detected.name} files are read from a local path")
        return BioioSource(path=path, name=shown)
    raise UserFileError(
        code="unsupported_format",
        message=(
            f"{shown} is a {detected.name} file. The built-in converter reads "
            f"{BUILTIN_FORMATS}; this format needs the Bio-Formats converter."
        ),
    )
