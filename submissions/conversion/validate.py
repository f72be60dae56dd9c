"""Check a converter's output against the OME-Zarr specification before it is recorded.

Exit code 0 from a converter proves nothing: this is the check that does. It validates the
bioformats2raw root, the OME group with METADATA.ome.xml, and every series image with
ome-zarr-models (NGFF 0.4 or 0.5, detected from the root metadata), then reads a little
pixel data from each image to prove the chunks decode.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import zarr

from submissions.conversion.errors import ApplicationError
from submissions.conversion.ngff import (
    as_list,
    group_attrs,
    ome_attrs,
    open_level,
    read_multiscale,
)


@dataclass(frozen=True)
class SeriesSummary:
    path: str
    shape: list[int]
    dtype: str
    levels: int
    level_shapes: list[list[int]]
    axes: list[str]


@dataclass
class ValidationReport:
    ngff_version: str
    series: list[SeriesSummary] = field(default_factory=list)
    total_bytes: int = 0
    object_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _detect_version(path: Path) -> str:
    if (path / "zarr.json").is_file():
        return "0.5"
    if (path / ".zgroup").is_file():
        return "0.4"
    raise _invalid(path, ["no zarr.json or .zgroup at the root: not a Zarr group"])


def _invalid(path: Path, problems: list[str]) -> ApplicationError:
    return ApplicationError(
        code="invalid_output",
        message=f"The converted output at {path.name} is not valid OME-Zarr.",
        details="\n".join(problems),
    )


def _series_paths(path: Path, version: str, problems: list[str]) -> list[str]:
    ome_dir = path / "OME"
    xml_path = ome_dir / "METADATA.ome.xml"
    if not xml_path.is_file():
        problems.append("OME/METADATA.ome.xml is missing")
    else:
        try:
            ET.parse(xml_path)  # noqa: S314 - our own converter's output
        except ET.ParseError as error:
            problems.append(f"OME/METADATA.ome.xml is not well-formed XML: {error}")
    try:
        attrs = group_attrs(zarr.open_group(str(ome_dir), mode="r"))
    except Exception as error:
        problems.append(f"OME group cannot be opened: {error}")
        return []
    try:
        series = ome_attrs(attrs, nested=version == "0.5").get("series")
        listed = None if series is None else [str(item) for item in as_list(series, what="series")]
    except ValueError as error:
        problems.append(f"OME group: {error}")
        return []
    if listed is None:
        # bioformats2raw omits "series" for plates; images are then numbered from 0.
        listed = []
        while (path / str(len(listed))).is_dir():
            listed.append(str(len(listed)))
    if not listed:
        problems.append("no series images found")
    return listed


def _check_root(path: Path, version: str, problems: list[str]) -> None:
    attrs = group_attrs(zarr.open_group(str(path), mode="r"))
    layout = ome_attrs(attrs, nested=version == "0.5").get("bioformats2raw.layout")
    if layout != 3:
        problems.append(f'root attribute "bioformats2raw.layout" is {layout!r}, expected 3')


def _validate_image(group: zarr.Group, version: str) -> None:
    """Raise (pydantic's ValidationError, ValueError) if ``group`` is not an NGFF image."""
    # Imported lazily: pydantic model construction costs ~1 s at import.
    if version == "0.5":
        from ome_zarr_models.v05.image import Image as ImageV05

        ImageV05.from_zarr(group)
    else:
        from ome_zarr_models.v04.image import Image as ImageV04

        ImageV04.from_zarr(group)


def _summarise(series_path: str, group: zarr.Group, version: str) -> SeriesSummary:
    multiscale = read_multiscale(ome_attrs(group_attrs(group), nested=version == "0.5"))
    arrays = [open_level(group, path) for path in multiscale.dataset_paths]
    base = arrays[0]
    # Decode one chunk of the full resolution and one whole plane of the smallest level.
    base[(0,) * (base.ndim - 2) + (slice(0, base.chunks[-2]), slice(0, base.chunks[-1]))]
    arrays[-1][(0,) * (arrays[-1].ndim - 2)]
    return SeriesSummary(
        path=series_path,
        shape=list(base.shape),
        dtype=str(base.dtype),
        levels=len(arrays),
        level_shapes=[list(array.shape) for array in arrays],
        axes=multiscale.axis_names,
    )


def _tree_size(path: Path) -> tuple[int, int]:
    total = count = 0
    for directory, _, files in os.walk(path):
        for name in files:
            total += (Path(directory) / name).stat().st_size
            count += 1
    return total, count


def validate_output(*, path: Path) -> ValidationReport:
    """Validate a bioformats2raw-layout OME-Zarr tree; raise ApplicationError if invalid.

    Returns the NGFF version, a summary per series and the tree's size and object count
    (what the archive upload will transfer).
    """
    path = Path(path)
    if not path.is_dir():
        raise _invalid(path, [f"{path} is not a directory"])
    version = _detect_version(path)
    problems: list[str] = []
    try:
        _check_root(path, version, problems)
    except Exception as error:
        raise _invalid(path, [f"root group cannot be opened: {error}"]) from error
    report = ValidationReport(ngff_version=version)
    for series_path in _series_paths(path, version, problems):
        try:
            group = zarr.open_group(str(path / series_path), mode="r")
            _validate_image(group, version)
            report.series.append(_summarise(series_path, group, version))
        except Exception as error:
            problems.append(f"series {series_path}: {type(error).__name__}: {error}")
    if problems:
        raise _invalid(path, problems)
    report.total_bytes, report.object_count = _tree_size(path)
    return report
