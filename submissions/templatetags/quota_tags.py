"""Template helpers for quotas: `{{ n|bytes }}` and `{% usage_meter facility %}`."""

from __future__ import annotations

from typing import Any

from django import template

from submissions import selectors_quota
from submissions.models import Facility, User
from submissions.services.units import format_bytes, format_limit

register = template.Library()


@register.filter(name="bytes")
def bytes_filter(value: int | float | str | None) -> str:
    return "no limit" if value in (None, "") else format_bytes(int(float(value or 0)))


@register.filter
def limit_input(value: int | str | None) -> str:
    """A limit as typed back into a form field: "" for none, exact ("1500 GB") otherwise."""
    return "" if value in (None, "") else format_limit(int(value or 0))


@register.inclusion_tag("submissions/_usage_meter.html", takes_context=True)
def usage_meter(
    context: dict[str, Any], facility: Facility, area: str = "staging"
) -> dict[str, Any]:
    """The same meter `selectors_quota.usage_meter_context` gives a view."""
    user = context["request"].user
    if not isinstance(user, User):
        return {"usage_meter": None}
    return selectors_quota.usage_meter_context(user=user, facility=facility, area=area)
