"""Check a converter's output against the OME-Zarr specification before it is recorded.

Exit code 0 from a converter proves nothing: this is the check that does. It validates the
bioformats2raw root, the OME group with METADATA.ome.xml, and every series image with
ome-zarr-models (NGFF 0.4 or 0.5, detected from the root metadata), then reads a little
pixel data from each image to prove the chunks (or shards) decode. The output is read where
it was written: a folder, or an S3 prefix (submissions.conversion.target).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import zarr
from zarr.abc.store import Store

from submissions.conversion.errors import ApplicationError
from submissions.conversion.ngff import (
    as_list,
    group_attrs,
    ome_attrs,
    open_level,
    read_multiscale,
)
from submissions.conversion.target import (
    OutputLocation,
    S3Location,
    output_listing,
    read_bytes,
    read_store,
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


def _detect_version(listing: dict[str, int], name: str) -> str:
    if "zarr.json" in listing:
        return "0.5"
    if ".zgroup" in listing:
        return "0.4"
    raise _invalid(name, ["no zarr.json or .zgroup at the root: not a Zarr group"])


def _invalid(name: str, problems: list[str]) -> ApplicationError:
    return ApplicationError(
        code="invalid_output",
        message=f"The converted output at {name} is not valid OME-Zarr.",
        details="\n".join(problems),
    )


def _series_paths(
    output: OutputLocation, store: Store, listing: dict[str, int], version: str, problems: list[str]
) -> list[str]:
    xml_bytes = read_bytes(output, "OME/METADATA.ome.xml")
    if xml_bytes is None:
        problems.append("OME/METADATA.ome.xml is missing")
    else:
        try:
            ET.fromstring(xml_bytes)  # noqa: S314 - our own converter's output
        except ET.ParseError as error:
            problems.append(f"OME/METADATA.ome.xml is not well-formed XML: {error}")
    try:
        attrs = group_attrs(zarr.open_group(store, path="OME", mode="r"))
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
        groups = {key.split("/", 1)[0] for key in listing if "/" in key}
        listed = []
        while str(len(listed)) in groups:
            listed.append(str(len(listed)))
    if not listed:
        problems.append("no series images found")
    return listed


def _check_root(store: Store, version: str, problems: list[str]) -> None:
    attrs = group_attrs(zarr.open_group(store, mode="r"))
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


def validate_output(
    *, output: OutputLocation | None = None, path: Path | None = None
) -> ValidationReport:
    """Validate a bioformats2raw-layout OME-Zarr (a folder ``path``, or any ``output``
    location); raise ApplicationError if invalid.

    Returns the NGFF version, a summary per series and the output's size and object count
    (what the archive holds, or what a push will transfer).
    """
    location: OutputLocation | None = output if output is not None else path
    if location is None:
        raise TypeError("pass output or path")
    if not isinstance(location, S3Location):
        location = Path(location)
        if not location.is_dir():
            raise _invalid(location.name, [f"{location} is not a directory"])
    name = location.name
    listing = output_listing(location)
    version = _detect_version(listing, name)
    store = read_store(location)
    problems: list[str] = []
    try:
        _check_root(store, version, problems)
    except Exception as error:
        raise _invalid(name, [f"root group cannot be opened: {error}"]) from error
    report = ValidationReport(ngff_version=version)
    for series_path in _series_paths(location, store, listing, version, problems):
        try:
            group = zarr.open_group(store, path=series_path, mode="r")
            _validate_image(group, version)
            report.series.append(_summarise(series_path, group, version))
        except Exception as error:
            problems.append(f"series {series_path}: {type(error).__name__}: {error}")
    if problems:
        raise _invalid(name, problems)
    report.total_bytes, report.object_count = sum(listing.values()), len(listing)
    return report
