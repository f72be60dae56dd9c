"""Describe an uploaded image file before conversion: format, series, sizes, channels.

Shown to the researcher right after upload and to the curator in review, so every failure is
a UserFileError whose message says what to do.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from submissions.conversion import bioformats
from submissions.conversion.builtin.sources import ImageSource, open_source
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import detect_format, display_name, needs_bioformats


@dataclass(frozen=True)
class SeriesDescription:
    index: int
    name: str
    # Sizes by axis name, always all five: {"T": 1, "C": 2, "Z": 30, "Y": 512, "X": 512}.
    sizes: dict[str, int]
    pixel_type: str
    # {"x": 0.1, "y": 0.1, "z": 0.5, "unit": "micrometer", "z_unit": ..., "t": ..., ...}
    physical_sizes: dict[str, Any]
    channel_names: list[str]
    source_axes: str


@dataclass
class InspectionResult:
    """What we know about a file. ``series`` is empty for vendor formats we only recognise."""

    format_name: str
    size_bytes: int
    series: list[SeriesDescription] = field(default_factory=list)
    ome_xml: str | None = None
    # True for formats only Bio-Formats reads (bfconvert or bioformats2raw converts them).
    needs_bioformats: bool = False
    # Who described the series: "aperture" (tifffile, bioio) or "Bio-Formats 7.3.1" (showinf).
    reader: str = "aperture"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def inspect_file(
    *,
    path: Path | None = None,
    file: IO[bytes] | None = None,
    name: str | None = None,
    then: Callable[[ImageSource], None] | None = None,
    scratch_dir: Path | None = None,
) -> InspectionResult:
    """Inspect ``path``, or the open seekable binary ``file`` (header and metadata only: no
    pixel data is read, so a file over ranged S3 reads costs a few requests).

    CZI, ND2 and LIF are read through bioio, which needs a ``path``: pass an open ``file`` of
    those formats and TypeError is raised (see sources.needs_local_path).

    ``name`` is the file name messages show (defaults to the path's). Raises UserFileError
    with code "unsupported_format", "corrupt_file", "empty_file" or "unsupported_pixel_type".
    A file the built-in readers do not know goes to Bio-Formats' ``showinf`` when Java and
    the jar are here and ``path`` is given (``scratch_dir`` holds Java's temporary files);
    without them a recognised vendor format (HDF5, DICOM) is not an error: the result says
    ``needs_bioformats`` and the conversion worker's bioformats2raw reads it.

    ``then`` is called with the open source after it was described, for more work on the same
    open file (a preview) without opening and parsing it again.
    """
    shown = display_name(path=path, file=file, name=name)
    if file is not None:
        size = file.seek(0, io.SEEK_END)
    elif path is not None and Path(path).is_file():
        size = Path(path).stat().st_size
    else:
        raise UserFileError(code="missing_input", message=f"No such file: {shown}")
    if needs_bioformats(path=path, file=file, name=shown):
        tools = bioformats.find_tools()
        if tools is None or path is None or not bioformats.offered_to_bioformats(shown):
            detected = detect_format(path=path, file=file, name=shown)  # unknown: refused
            return InspectionResult(
                format_name=detected.name, size_bytes=size, needs_bioformats=True
            )
        return _inspect_with_bioformats(
            tools=tools, path=Path(path), name=shown, size=size, scratch_dir=scratch_dir
        )
    with open_source(path=path, file=file, name=shown) as source:
        series = [
            SeriesDescription(
                index=info.index,
                name=info.name,
                sizes=dict(zip("TCZYX", info.shape, strict=True)),
                pixel_type=info.dtype.name,
                physical_sizes=info.physical.as_dict(),
                channel_names=list(info.channel_names),
                source_axes=info.source_axes,
            )
            for info in source.series
        ]
        result = InspectionResult(
            format_name=source.format_name,
            size_bytes=size,
            series=series,
            ome_xml=source.ome_xml,
        )
        if then is not None:
            then(source)
        return result


def _inspect_with_bioformats(
    *, tools: bioformats.Tools, path: Path, name: str, size: int, scratch_dir: Path | None
) -> InspectionResult:
    with tempfile.TemporaryDirectory(prefix="showinf-", dir=scratch_dir) as directory:
        described = bioformats.describe(
            tools=tools, path=path, name=name, scratch_dir=Path(directory)
        )
    return InspectionResult(
        format_name=described.format_name,
        size_bytes=size,
        series=[SeriesDescription(**vars(series)) for series in described.series],
        ome_xml=described.ome_xml,
        needs_bioformats=True,
        reader=f"Bio-Formats {bioformats.bioformats_version(tools)}",
    )
