"""Describe an uploaded image file before conversion: format, series, sizes, channels.

Shown to the researcher right after upload and to the curator in review, so every failure is
a UserFileError whose message says what to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from submissions.conversion.builtin.readers import open_source
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import detect_format


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
    # True for formats that only the Bio-Formats converter (bioformats2raw) can convert.
    needs_bioformats: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def inspect_file(*, path: Path) -> InspectionResult:
    """Inspect ``path`` (header and metadata only: no pixel data is read).

    Raises UserFileError with code "unsupported_format", "corrupt_file", "empty_file" or
    "unsupported_pixel_type". A vendor microscopy format recognised by its magic bytes (CZI,
    ND2, ...) is not an error: the result says ``needs_bioformats``.
    """
    path = Path(path)
    if not path.is_file():
        raise UserFileError(code="missing_input", message=f"No such file: {path.name}")
    size = path.stat().st_size
    detected = detect_format(path=path)
    if detected.bioformats_only:
        return InspectionResult(format_name=detected.name, size_bytes=size, needs_bioformats=True)
    with open_source(path=path) as source:
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
        return InspectionResult(
            format_name=source.format_name,
            size_bytes=size,
            series=series,
            ome_xml=source.ome_xml,
        )
