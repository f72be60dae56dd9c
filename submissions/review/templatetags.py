"""Small display helpers for the review pages and mail."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from django import template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import TIME_STRINGS, timesince

from submissions.core.templatetags import type_name
from submissions.lifecycle.models import SubmissionStatus
from submissions.uploads.models import DataFile, FileStatus

if TYPE_CHECKING:
    from submissions.review.counts import StateCounts

register = template.Library()

# File states no check moves on from.
FINAL_FILE_STATES = frozenset({FileStatus.INSPECTED, FileStatus.FAILED, FileStatus.ABORTED})


@register.filter
def points_for(points: dict[str, list[Any]] | None, path: str) -> list[Any]:
    """The open change-request points about one field path (or "file:<uuid>")."""
    return (points or {}).get(str(path), [])


class _Plural:
    """One of timesince's unit strings ("%(num)d day" / "%(num)d days"), translated once per
    language and count: the lazy originals are translated again at every use, which made the
    queue's "waiting" column its most expensive (about 80 µs a row)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __mod__(self, values: dict[str, int]) -> str:
        return _unit(translation.get_language(), self.name, values["num"])


@functools.lru_cache(maxsize=2048)
def _unit(language: str | None, name: str, num: int) -> str:
    return str(TIME_STRINGS[name] % {"num": num})


CACHED_TIME_STRINGS = {name: _Plural(name) for name in TIME_STRINGS}


@functools.lru_cache(maxsize=64)
def _month(language: str | None, month: int) -> str:
    return str(MONTHS_3[month]).title()  # what the date format "M" shows


@register.filter
def waiting(since: Any) -> str:
    """'3 days, 2 hours' since a moment; an em dash for none."""
    if not since:
        return "—"
    # The stubs say dict[str, str]; timesince only ever applies "%" to the values.
    strings: Any = CACHED_TIME_STRINGS
    return timesince(since, timezone.now(), time_strings=strings, depth=2)


@register.simple_tag
def waiting_since(since: Any) -> SafeString:
    """A <time> element saying how long something has waited, the exact moment in its title.

    The queue shows one per row, so this formats directly: the ISO form is the date format
    "c", the title the format "j M Y H:i" (month names translated once per language).
    """
    if not since:
        return format_html('<time datetime="" title="Submitted ">{}</time>', "—")
    local = timezone.localtime(since) if timezone.is_aware(since) else since
    month = _month(translation.get_language(), local.month)
    return format_html(
        '<time datetime="{}" title="Submitted {} {} {} {}">{}</time>',
        local.isoformat(),
        local.day,
        month,
        local.year,
        f"{local.hour:02d}:{local.minute:02d}",
        waiting(local),
    )


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
    """The inspected sizes of the first series ("T1 C2 Z5 Y600 X700"), with the series count."""
    found = file.inspection if isinstance(file.inspection, dict) else {}
    series = found.get("series")
    if not isinstance(series, list) or not series or not isinstance(series[0], dict):
        return "—"
    sizes = series[0].get("sizes") or {}
    text = " ".join(f"{axis}{sizes[axis]}" for axis in "TCZYX" if axis in sizes)
    return f"{text} ({len(series)} series)" if len(series) > 1 else text or "—"


@register.filter
def file_format(file: DataFile) -> str:
    """The image format inspection named (OME-TIFF, ImageJ TIFF, …), else what the detected
    type is called ("PDF document"); a type without a name is "Other file"."""
    found = file.inspection if isinstance(file.inspection, dict) else {}
    if found.get("format_name"):
        return str(found["format_name"])
    return type_name(file.detected_type)


_BREAK_AFTER = frozenset("/_-.")


@register.filter
def breakable(name: str) -> SafeString:
    """A file name that wraps only after / _ - . (never mid-word): escaped, with <wbr>."""
    parts: list[str] = []
    for char in str(name):
        parts.append(escape(char))
        if char in _BREAK_AFTER:
            parts.append("<wbr>")
    return mark_safe("".join(parts))  # noqa: S308 - every character was escaped above


@register.filter
def preview_url(file: DataFile) -> str:
    """The preview inspection made of this file, if it made one and retention has not
    deleted it with the upload."""
    found = file.inspection if isinstance(file.inspection, dict) else {}
    if not found.get("preview") or file.purged_at is not None:
        return ""
    return reverse("submission-file-preview", args=[file.submission_id, file.pk])


@register.filter
def anchor(path: str) -> str:
    """An id attribute for a field path ("field-authors-0-orcid")."""
    return "field-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in str(path))


@register.filter
def points_for_file(points: dict[str, list[Any]] | None, file: DataFile) -> list[Any]:
    return (points or {}).get(f"file:{file.pk}", [])


@register.filter
def files_pending(files: list[DataFile]) -> bool:
    """True while some file still waits for its checks, so the page keeps polling. A file
    whose upload was aborted, or whose bytes retention deleted, waits for nothing."""
    return any(f.status not in FINAL_FILE_STATES and f.purged_at is None for f in files)


@register.filter
def count_label(counts: StateCounts, state: str) -> str:
    """A queue tab's count: "37", or "1,000+" past the counting limit."""
    return counts.label(str(state))


@register.filter
def count_summary(counts: StateCounts, state: str) -> str:
    """ "37 submissions", "More than 1,000 submissions", or why a tab was not counted."""
    return counts.summary(str(state))


@register.filter
def status_label(value: str) -> str:
    """'changes_requested' as 'Changes requested'."""
    try:
        return str(SubmissionStatus(value).label)
    except ValueError:
        return value


@register.filter
def view_text(view: dict[str, Any] | None) -> str:
    """What a viewer point was about, as people count: "Series 1, z-plane 3, ...; channel GFP"."""
    from submissions.review.image_points import describe_view

    return describe_view(view or {})
