"""Who may do what. Services call these before acting; selectors use the same rules to filter."""

from __future__ import annotations

from django.db.models import Q

from submissions.accounts.models import Facility, Membership, Role, User
from submissions.lifecycle.models import Submission

CURATING_ROLES = (Role.CURATOR, Role.FACILITY_ADMIN)


def role_in(*, user: User, facility: Facility | int) -> str | None:
    if not user.is_authenticated:
        return None
    facility_id = facility if isinstance(facility, int) else facility.pk
    membership = Membership.objects.filter(user=user, facility_id=facility_id).first()
    return membership.role if membership else None


def is_curator(*, user: User, facility: Facility | int) -> bool:
    return user.is_superuser or role_in(user=user, facility=facility) in CURATING_ROLES


def is_facility_admin(*, user: User, facility: Facility | int) -> bool:
    return user.is_superuser or role_in(user=user, facility=facility) == Role.FACILITY_ADMIN


def visibility_filter(*, user: User) -> Q:
    """The submissions a user may see: their own, their group's, their facility's if curating."""
    if user.is_superuser:
        return Q()
    memberships = Membership.objects.filter(user=user)
    curated = memberships.filter(role__in=CURATING_ROLES).values("facility_id")
    groups = memberships.exclude(group=None).values("group_id")
    return Q(owner=user) | Q(group_id__in=groups) | Q(facility_id__in=curated)


def can_edit(*, user: User, submission: Submission) -> bool:
    return submission.owner_id == user.pk


def can_curate(*, user: User, submission: Submission) -> bool:
    return is_curator(user=user, facility=submission.facility_id)
