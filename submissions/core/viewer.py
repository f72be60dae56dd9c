"""What a page tells the OME-Zarr viewer (templates/_ome_zarr_viewer.html) about each image.

The viewer reads the pixels itself, in the browser, from ``url``: the root of one OME-Zarr,
under which every key resolves by relative path (zarr.json, 0/zarr.json, 0/0/c/...), query
string kept. The page also prints ``description``, the text alternative of the image (what it
holds, in words), which stays when JavaScript or WebGL is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# UDUNITS-2 names (as NGFF and the inspection write them) to the symbols people read.
_UNIT_SYMBOLS = {
    "micrometer": "µm",
    "micron": "µm",
    "nanometer": "nm",
    "millimeter": "mm",
    "centimeter": "cm",
    "meter": "m",
    "angstrom": "Å",
}
TIMES = "\u00d7"  # the multiplication sign, as people read "512 by 512"
_PIXEL_TYPES = {
    "uint8": "8-bit",
    "uint16": "16-bit",
    "uint32": "32-bit",
    "int8": "8-bit signed",
    "int16": "16-bit signed",
    "int32": "32-bit signed",
    "float32": "32-bit floating-point",
    "float64": "64-bit floating-point",
}


@dataclass(frozen=True)
class ViewerImage:
    name: str
    url: str
    description: str
    # The DataFile shown, when the page lets people act on it (a change point on review).
    file_id: str = ""

    def as_dict(self) -> dict[str, str]:
        shown = {"name": self.name, "url": self.url, "description": self.description}
        if self.file_id:
            shown["fileId"] = self.file_id
        return shown


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def describe_series(series: Mapping[str, Any]) -> str:
    """One image in words: "3 channels (DAPI, GFP, RFP), 4 z-planes, 512 x 512 pixels ..."."""
    raw = series.get("sizes")
    sizes: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    size = {axis: int(sizes.get(axis) or 1) for axis in "TCZYX"}
    parts = []
    names = [str(n).strip() for n in series.get("channel_names") or [] if str(n).strip()]
    channels = _count(size["C"], "channel", "channels")
    if names and len(names) == size["C"]:
        channels += f" ({', '.join(names)})"
    parts.append(channels)
    if size["Z"] > 1:
        parts.append(_count(size["Z"], "z-plane", "z-planes"))
    if size["T"] > 1:
        parts.append(_count(size["T"], "time point", "time points"))
    pixels = f"{size['X']:,} {TIMES} {size['Y']:,} pixels"
    physical = series.get("physical_sizes")
    physical = physical if isinstance(physical, Mapping) else {}
    x, y = _number(physical.get("x")), _number(physical.get("y"))
    if x and y:
        unit = str(physical.get("unit") or "micrometer")
        pixels += f" of {x:g} {TIMES} {y:g} {_UNIT_SYMBOLS.get(unit, unit)}"
    parts.append(pixels)
    pixel_type = _PIXEL_TYPES.get(str(series.get("pixel_type") or ""))
    if pixel_type:
        parts.append(f"{pixel_type} values")
    return ", ".join(parts)


def describe_image(inspection: Mapping[str, Any] | None) -> str:
    """The text alternative of an inspected image file: its series and what each holds."""
    series: Sequence[Any] = (inspection or {}).get("series") or []
    series = [s for s in series if isinstance(s, Mapping)]
    if not series:
        return "An image converted to OME-Zarr; its dimensions were not recorded."
    if len(series) == 1:
        return describe_series(series[0]) + "."
    described = "; ".join(
        f"series {i + 1}{': ' + str(s['name']) if s.get('name') else ''}: {describe_series(s)}"
        for i, s in enumerate(series[:5])
    )
    more = f"; and {len(series) - 5:,} more" if len(series) > 5 else ""
    return f"{len(series):,} series: {described}{more}."
