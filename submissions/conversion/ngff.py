"""Typed reads of the OME-NGFF metadata in a converted tree.

zarr-python types attributes as arbitrary JSON and ``group[path]`` as ``Array | Group``.
These helpers check the shape of what they read and raise ``ValueError`` saying what is
wrong, so the validator can report it and callers work with plain typed values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import zarr
from zarr.core.common import JSON


@dataclass(frozen=True)
class Multiscale:
    """The first entry of an image's "multiscales" list: level paths, largest first."""

    dataset_paths: list[str]
    axis_names: list[str]


def as_object(value: JSON, *, what: str) -> Mapping[str, JSON]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is {type(value).__name__}, expected an object")
    return value


def as_list(value: JSON, *, what: str) -> Sequence[JSON]:
    # A JSON string is a Sequence too, but never what a list-valued field means.
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{what} is {type(value).__name__}, expected a list")
    return value


def as_str(value: JSON, *, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is {type(value).__name__}, expected a string")
    return value


def group_attrs(group: zarr.Group) -> dict[str, JSON]:
    return dict(group.attrs)


def ome_attrs(attrs: Mapping[str, JSON], *, nested: bool) -> Mapping[str, JSON]:
    """The attributes holding NGFF metadata: under "ome" in NGFF 0.5, top level in 0.4."""
    if not nested:
        return attrs
    return as_object(attrs.get("ome", {}), what='attribute "ome"')


def read_multiscale(metadata: Mapping[str, JSON]) -> Multiscale:
    """The first multiscale of an image group's NGFF metadata (see :func:`ome_attrs`)."""
    entries = as_list(metadata.get("multiscales"), what='"multiscales"')
    if not entries:
        raise ValueError('"multiscales" is empty')
    entry = as_object(entries[0], what='"multiscales[0]"')
    datasets = as_list(entry.get("datasets"), what='"multiscales[0].datasets"')
    if not datasets:
        raise ValueError('"multiscales[0].datasets" is empty')
    paths = [
        as_str(as_object(item, what="a dataset").get("path"), what="a dataset path")
        for item in datasets
    ]
    axes = as_list(entry.get("axes"), what='"multiscales[0].axes"')
    names = [
        as_str(as_object(item, what="an axis").get("name"), what="an axis name") for item in axes
    ]
    return Multiscale(dataset_paths=paths, axis_names=names)


def open_level(group: zarr.Group, path: str) -> zarr.Array:
    """The array at ``path`` in ``group``: KeyError if it is missing, ValueError if a group."""
    member = group[path]
    if not isinstance(member, zarr.Array):
        raise ValueError(f"{path!r} in {group.path or 'the image group'} is a group, not an array")
    return member
