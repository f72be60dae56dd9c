"""Which parts of the navigation a person sees (views still check permissions)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from submissions.accounts.models import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Which parts of the navigation this person sees. Views still check permissions."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_roles": set()}
    roles = set(user.memberships.values_list("role", flat=True))
    if user.is_superuser:
        roles |= {Role.CURATOR, Role.FACILITY_ADMIN}
    return {
        "nav_roles": roles,
        "is_curator": bool(roles & {Role.CURATOR, Role.FACILITY_ADMIN}),
        "is_facility_admin": Role.FACILITY_ADMIN in roles,
    }
