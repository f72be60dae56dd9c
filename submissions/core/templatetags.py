"""Template filters every page and mail may use without `{% load %}` (a builtin library, see
TEMPLATES in portal/settings/base.py).

`{{ n|bytes }}`: a byte count in decimal units ("9.5 MB"), the one unit system of Aperture
(submissions.core.units.format_bytes). Django's own `filesizeformat` divides by 1024 but
says "MB", so the same file would read 9.0 MB here and 9.5 MB in a quota message; it is not
used anywhere (tests/core/test_units.py checks).
"""

from __future__ import annotations

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
