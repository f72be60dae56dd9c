"""Image metadata: what a series is, OME-XML in and out, and NGFF multiscales attributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

OME_NAMESPACE = "http://www.openmicroscopy.org/Schemas/OME/2016-06"

# OME-XML unit symbols -> UDUNITS-2 names that NGFF requires in "axes".
_SPACE_UNITS = {
    "Å": "angstrom",
    "nm": "nanometer",
    "µm": "micrometer",
    "um": "micrometer",
    "micron": "micrometer",
    "mm": "millimeter",
    "cm": "centimeter",
    "m": "meter",
    "pm": "picometer",
    "in": "inch",
}
_TIME_UNITS = {
    "s": "second",
    "ms": "millisecond",
    "µs": "microsecond",
    "ns": "nanosecond",
    "min": "minute",
    "h": "hour",
}
_OME_PIXEL_TYPES = {
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "float32": "float",
    "float64": "double",
    "bool": "bit",
}


@dataclass(frozen=True)
class PhysicalSizes:
    """Pixel spacing; ``None`` where the file does not say. Units are UDUNITS names."""

    x: float | None = None
    y: float | None = None
    z: float | None = None
    unit: str | None = None
    z_unit: str | None = None
    t: float | None = None
    t_unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SeriesInfo:
    """One image in a file, always described as TCZYX whatever the file's axis order."""

    index: int
    name: str
    shape: tuple[int, int, int, int, int]
    dtype: np.dtype[Any]
    physical: PhysicalSizes = field(default_factory=PhysicalSizes)
    channel_names: tuple[str, ...] = ()
    source_axes: str = ""
    # Per channel, from OME-XML when the file has it: colour ("RRGGBB") and wavelength (nm).
    channel_colors: tuple[str | None, ...] = ()
    channel_wavelengths: tuple[float | None, ...] = ()

    @property
    def plane_count(self) -> int:
        t, c, z, _, _ = self.shape
        return t * c * z


def space_unit(symbol: str | None) -> str | None:
    if symbol is None:
        return None
    return _SPACE_UNITS.get(symbol.strip())


def time_unit(symbol: str | None) -> str | None:
    if symbol is None:
        return None
    return _TIME_UNITS.get(symbol.strip())


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number > 0 else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ome_color(value: str | None) -> str | None:
    """OME-XML's Channel Color (a signed 32-bit RGBA integer) as "RRGGBB"."""
    if value is None:
        return None
    try:
        rgba = int(value) & 0xFFFFFFFF
    except ValueError:
        return None
    return f"{rgba >> 8:06X}"


_NANOMETRES = {"nm": 1.0, "µm": 1000.0, "um": 1000.0, "pm": 0.001, "Å": 0.1}


def _wavelength_nm(attrs: dict[str, str]) -> float | None:
    """Emission wavelength, else excitation, in nanometres (what picks a colour)."""
    for name in ("EmissionWavelength", "ExcitationWavelength"):
        value = _float(attrs.get(name))
        factor = _NANOMETRES.get(attrs.get(f"{name}Unit", "nm"))
        if value is not None and factor is not None:
            return value * factor
    return None


@dataclass(frozen=True)
class OmeImage:
    name: str
    size_x: int
    size_y: int
    physical: PhysicalSizes
    channel_names: tuple[str, ...]
    channel_colors: tuple[str | None, ...] = ()
    channel_wavelengths: tuple[float | None, ...] = ()
    size_z: int = 1
    size_c: int = 1
    size_t: int = 1
    # OME pixel type ("uint16", "float", ...) and dimension order ("XYZCT", ...).
    pixel_type: str = ""
    dimension_order: str = ""


def parse_ome_images(xml_text: str) -> list[OmeImage]:
    """The Image elements of an OME-XML document, namespace-agnostic (files use 2008-2016)."""
    root = ET.fromstring(xml_text)  # noqa: S314 - OME-XML from a TIFF tag; no DTD expansion in ET
    images: list[OmeImage] = []
    for image in root:
        if _local(image.tag) != "Image":
            continue
        pixels = next((child for child in image if _local(child.tag) == "Pixels"), None)
        if pixels is None:
            continue
        attrs = pixels.attrib
        x, y, z = (_float(attrs.get(f"PhysicalSize{axis}")) for axis in "XYZ")
        # A unit only where the file gives a size (µm is OME-XML's default unit symbol); a
        # unit on its own would claim a calibration the file does not have.
        xy_unit = space_unit(attrs.get("PhysicalSizeXUnit", "µm")) if x or y else None
        z_unit = space_unit(attrs.get("PhysicalSizeZUnit", "µm")) if z else None
        channels = [child for child in pixels if _local(child.tag) == "Channel"]
        images.append(
            OmeImage(
                name=image.attrib.get("Name", ""),
                size_x=int(attrs.get("SizeX", "0")),
                size_y=int(attrs.get("SizeY", "0")),
                channel_colors=tuple(_ome_color(c.attrib.get("Color")) for c in channels),
                channel_wavelengths=tuple(_wavelength_nm(c.attrib) for c in channels),
                physical=PhysicalSizes(
                    x=x if xy_unit else None,
                    y=y if xy_unit else None,
                    z=z if z_unit else None,
                    unit=xy_unit,
                    z_unit=z_unit,
                    t=_float(attrs.get("TimeIncrement")),
                    t_unit=(
                        time_unit(attrs.get("TimeIncrementUnit", "s"))
                        if _float(attrs.get("TimeIncrement"))
                        else None
                    ),
                ),
                channel_names=tuple(c.attrib.get("Name", "") for c in channels),
                size_z=int(attrs.get("SizeZ", "1")),
                size_c=int(attrs.get("SizeC", "1")),
                size_t=int(attrs.get("SizeT", "1")),
                pixel_type=attrs.get("Type", ""),
                dimension_order=attrs.get("DimensionOrder", ""),
            )
        )
    return images


def ome_pixel_type(dtype: np.dtype[Any]) -> str:
    return _OME_PIXEL_TYPES.get(dtype.name, dtype.name)


def minimal_ome_xml(series: list[SeriesInfo], *, creator: str) -> str:
    """OME-XML for a file that has none, so the output always has METADATA.ome.xml."""
    ET.register_namespace("", OME_NAMESPACE)
    ns = f"{{{OME_NAMESPACE}}}"
    root = ET.Element(f"{ns}OME", {"Creator": creator})
    for info in series:
        t, c, z, y, x = info.shape
        image = ET.SubElement(root, f"{ns}Image", {"ID": f"Image:{info.index}", "Name": info.name})
        attrs = {
            "ID": f"Pixels:{info.index}",
            "DimensionOrder": "XYZCT",
            "Type": ome_pixel_type(info.dtype),
            "SizeX": str(x),
            "SizeY": str(y),
            "SizeZ": str(z),
            "SizeC": str(c),
            "SizeT": str(t),
        }
        physical = info.physical
        for axis, value in (("X", physical.x), ("Y", physical.y), ("Z", physical.z)):
            if value is not None:
                attrs[f"PhysicalSize{axis}"] = repr(float(value))
                attrs[f"PhysicalSize{axis}Unit"] = _unit_symbol(
                    physical.z_unit if axis == "Z" else physical.unit
                )
        pixels = ET.SubElement(image, f"{ns}Pixels", attrs)
        for channel in range(c):
            channel_attrs = {"ID": f"Channel:{info.index}:{channel}", "SamplesPerPixel": "1"}
            if channel < len(info.channel_names) and info.channel_names[channel]:
                channel_attrs["Name"] = info.channel_names[channel]
            color = info.channel_colors[channel] if channel < len(info.channel_colors) else None
            if color:
                # OME-XML's Color is RGBA as a signed 32-bit integer.
                rgba = (int(color, 16) << 8) | 0xFF
                channel_attrs["Color"] = str(rgba - 2**32 if rgba >= 2**31 else rgba)
            ET.SubElement(pixels, f"{ns}Channel", channel_attrs)
        ET.SubElement(pixels, f"{ns}MetadataOnly")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _unit_symbol(unit: str | None) -> str:
    reverse = {
        name: symbol for symbol, name in _SPACE_UNITS.items() if symbol not in ("um", "micron")
    }
    return reverse.get(unit or "micrometer", "µm")


def multiscales(*, info: SeriesInfo, levels: int, ngff_version: str) -> dict[str, Any]:
    """The "multiscales" entry for one image: TCZYX axes, a scale transform per level.

    Each level halves y and x (z, c, t are never downsampled), so its scale is 2**level
    times the level-0 pixel size.
    """
    physical = info.physical
    time_axis: dict[str, Any] = {"name": "t", "type": "time"}
    if physical.t_unit and physical.t is not None:
        time_axis["unit"] = physical.t_unit
    axes: list[dict[str, Any]] = [time_axis, {"name": "c", "type": "channel"}]
    for name, unit, size in (
        ("z", physical.z_unit, physical.z),
        ("y", physical.unit, physical.y),
        ("x", physical.unit, physical.x),
    ):
        axis: dict[str, Any] = {"name": name, "type": "space"}
        # A unit only with a size from the file: scale 1.0 alone then means "one pixel".
        if unit and size is not None:
            axis["unit"] = unit
        axes.append(axis)
    base = [
        physical.t or 1.0,
        1.0,
        physical.z or 1.0,
        physical.y or 1.0,
        physical.x or 1.0,
    ]
    datasets = []
    for level in range(levels):
        factor = float(2**level)
        scale = [base[0], base[1], base[2], base[3] * factor, base[4] * factor]
        datasets.append(
            {
                "path": str(level),
                "coordinateTransformations": [{"type": "scale", "scale": scale}],
            }
        )
    entry: dict[str, Any] = {
        "name": info.name or f"series {info.index}",
        "axes": axes,
        "datasets": datasets,
        "type": "mean",
        "metadata": {"method": "2x2 mean of y and x; z, c and t are not downsampled"},
    }
    if ngff_version == "0.4":
        entry["version"] = "0.4"
    return entry


# Types whose whole range bioformats2raw falls back to when no minimum/maximum is known
# (Converter.getRange).
_TYPE_RANGES = {
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int16": (-32768, 32767),
    "uint16": (0, 65535),
}


def channel_color(info: SeriesInfo, channel: int) -> str:
    """The channel's colour as bioformats2raw picks it (Colors.getColor): the file's own;
    white (bioformats2raw: grey) for a single channel; blue / green / red from the
    wavelength (<500 nm, <560 nm, above); else red, green, blue by channel index."""
    given = info.channel_colors[channel] if channel < len(info.channel_colors) else None
    if given:
        return given
    if info.shape[1] == 1:
        # bioformats2raw writes grey (808080), which shows the brightest pixel at half
        # brightness; white keeps the window's full range on screen.
        return "FFFFFF"
    wavelength = (
        info.channel_wavelengths[channel] if channel < len(info.channel_wavelengths) else None
    )
    if wavelength is not None:
        return "0000FF" if wavelength < 500 else "00FF00" if wavelength < 560 else "FF0000"
    return ("FF0000", "00FF00", "0000FF")[channel % 3]


def omero(*, info: SeriesInfo, ranges: list[tuple[float, float] | None]) -> dict[str, Any]:
    """The "omero" block of one image, as bioformats2raw writes it (Converter.java,
    setSeriesLevelMetadata): per channel a label, colour, and a window whose start/end and
    min/max are the channel's data range (``ranges``, measured while converting)."""
    _, c_size, z_size, _, _ = info.shape
    fallback = _TYPE_RANGES.get(info.dtype.name)
    channels = []
    for channel in range(c_size):
        name = info.channel_names[channel] if channel < len(info.channel_names) else ""
        measured = ranges[channel] if channel < len(ranges) else None
        low, high = measured if measured is not None else (fallback or (0, 0))
        channels.append(
            {
                "active": channel < 3,
                "coefficient": 1,
                "color": channel_color(info, channel),
                "family": "linear",
                "inverted": False,
                # bioformats2raw falls back to "Channel 0", "Channel 1"...; people count from 1.
                "label": name or f"Channel {channel + 1}",
                "window": {
                    "start": _number(low),
                    "end": _number(high),
                    "min": _number(low),
                    "max": _number(high),
                },
            }
        )
    return {
        "channels": channels,
        "rdefs": {
            "defaultT": 0,
            "defaultZ": z_size // 2,
            "model": "color" if 1 < c_size < 8 else "greyscale",
        },
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)
