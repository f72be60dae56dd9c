"""Template filters every page and mail may use without `{% load %}` (a builtin library, see
TEMPLATES in portal/settings/_django.py).

`{{ f.detected_type|type_name }}`: what a detected file type is called ("TIFF image"), never
its code.

`{{ n|bytes }}`: a byte count in decimal units ("9.5 MB"), the one unit system of Aperture
(submissions.core.units.format_bytes). Django's own `filesizeformat` divides by 1024 but
says "MB", so the same file would read 9.0 MB here and 9.5 MB in a quota message; it is not
used anywhere (tests/core/test_units.py checks).
"""

from __future__ import annotations

from typing import Any

from django import template

from submissions.core.units import format_bytes

register = template.Library()


@register.filter(name="bytes")
def bytes_filter(value: int | float | str | None) -> str:
    """A size for people; an em dash for an unknown one. (Quota pages load quota_tags, whose
    `bytes` says "no limit" for a limit that is not set.)"""
    if value in (None, ""):
        return "—"
    try:
        return format_bytes(int(float(value)))
    except (TypeError, ValueError):
        return "—"


# What a detected type (submissions.uploads.services.filetypes) is called on a page.
TYPE_NAMES = {
    "image/tiff": "TIFF image",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/jp2": "JPEG 2000 image",
    "image/x-zeiss-czi": "Zeiss CZI",
    "image/x-nikon-nd2": "Nikon ND2",
    "image/x-leica-lif": "Leica LIF",
    "application/x-hdf5": "HDF5",
    "application/x-ole-storage": "Olympus OIB or Zeiss ZVI",
    "application/dicom": "DICOM",
    "application/zip": "ZIP archive",
    "application/gzip": "gzip archive",
    "application/pdf": "PDF document",
    "application/x-npy": "NumPy array",
    "text/html": "HTML page",
    "text/plain": "Text",
    "application/octet-stream": "Other file",
}


@register.filter
def type_name(detected_type: str | None) -> str:
    """'image/tiff' -> 'TIFF image'; a type without a name is 'Other file', none is '—'."""
    if not detected_type:
        return "—"
    return TYPE_NAMES.get(detected_type, "Other file")


@register.filter
def newest_first(items: Any) -> list[Any]:
    """A timeline's events, latest first (lifecycle/_timeline.html shows the first few)."""
    return list(reversed(list(items)))
