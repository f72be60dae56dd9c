"""Small display helpers for the curation pages and mail."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from submissions.models import DataFile

register = template.Library()

PREVIEW_KEYS = ("thumbnail_url", "preview_url", "thumbnail")
TIMES = " \N{MULTIPLICATION SIGN} "


@register.filter
def points_for(points: dict[str, list[Any]] | None, path: str) -> list[Any]:
    """The open change-request points about one field path (or "file:<uuid>")."""
    return (points or {}).get(str(path), [])


@register.filter
def waiting(since: Any) -> str:
    """'3 days, 2 hours' since a moment; an em dash for none."""
    if not since:
        return "—"
    return timesince(since, timezone.now(), depth=2)


@register.filter
def shown(value: Any) -> str:
    """A metadata value for reading: text as is, other JSON compactly, nothing as an em dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@register.filter
def dimensions(file: DataFile) -> str:
    """The image dimensions the inspection found, whatever shape it reported them in."""
    found = file.inspection if isinstance(file.inspection, dict) else {}
    shape = found.get("shape")
    axes = found.get("axes") or found.get("dimension_order")
    dims = found.get("dimensions") or found.get("sizes")
    if isinstance(shape, list) and shape:
        sizes = TIMES.join(str(n) for n in shape)
        return f"{axes} {sizes}" if isinstance(axes, str) and len(axes) == len(shape) else sizes
    if isinstance(dims, dict) and dims:
        return TIMES.join(f"{k}={v}" for k, v in dims.items())
    if isinstance(dims, str | int):
        return str(dims)
    return "—"


@register.filter
def file_format(file: DataFile) -> str:
    found = file.inspection if isinstance(file.inspection, dict) else {}
    return str(file.detected_type or found.get("format") or "—")


@register.filter
def preview_url(file: DataFile) -> str:
    """A thumbnail the inspection or conversion produced, if any (URL or data: image)."""
    found = file.inspection if isinstance(file.inspection, dict) else {}
    for key in PREVIEW_KEYS:
        value = found.get(key)
        if isinstance(value, str) and (
            value.startswith(("/", "https://", "http://")) or value.startswith("data:image/")
        ):
            return value
    return ""


@register.filter
def anchor(path: str) -> str:
    """An id attribute for a field path ("field-authors-0-orcid")."""
    return "field-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in str(path))


@register.filter
def points_for_file(points: dict[str, list[Any]] | None, file: DataFile) -> list[Any]:
    return (points or {}).get(f"file:{file.pk}", [])


@register.filter
def files_pending(files: list[DataFile]) -> bool:
    """True while some file still waits for its checks, so the page keeps polling."""
    return any(f.status not in ("inspected", "failed") for f in files)


@register.filter
def get_count(counts: dict[str, int], key: str) -> int:
    return counts.get(str(key), 0)


@register.filter
def status_label(value: str) -> str:
    """'changes_requested' as 'Changes requested'."""
    from submissions.models import SubmissionStatus

    try:
        return str(SubmissionStatus(value).label)
    except ValueError:
        return value
