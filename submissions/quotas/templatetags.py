"""Template helpers for quotas: `{{ n|bytes }}`, `{% usage_meter facility %}` and the
count of pending quota requests for the facility tabs."""

from __future__ import annotations

from typing import Any

from django import template

from submissions.accounts.models import Facility, User
from submissions.core.units import format_bytes, format_limit
from submissions.quotas import selectors

register = template.Library()


@register.filter(name="bytes")
def bytes_filter(value: int | float | str | None) -> str:
    return "no limit" if value in (None, "") else format_bytes(int(float(value or 0)))


@register.filter
def limit_input(value: int | str | None) -> str:
    """A limit as typed back into a form field: "" for none, exact ("1500 GB") otherwise."""
    return "" if value in (None, "") else format_limit(int(value or 0))


@register.inclusion_tag("quotas/_usage_meter.html", takes_context=True)
def usage_meter(
    context: dict[str, Any], facility: Facility, area: str = "staging"
) -> dict[str, Any]:
    """The same meter `selectors.usage_meter_context` gives a view."""
    user = context["request"].user
    if not isinstance(user, User):
        return {"usage_meter": None}
    return selectors.usage_meter_context(user=user, facility=facility, area=area)


@register.simple_tag
def pending_quota_requests(facility: Facility) -> int:
    """How many quota-increase requests wait for the facility's admins (the tabs' badge)."""
    return selectors.pending_count(facility=facility)
