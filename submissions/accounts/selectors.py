"""Permission-scoped reads of people and facilities: a person's facilities and memberships,
the facilities they curate or administer, and a facility's members, invitations and audit
trail (404 to strangers, 403 to members who are not admins)."""

from __future__ import annotations

from django.db.models import QuerySet

from submissions.accounts.models import (
    Facility,
    FacilityAuditEvent,
    FacilityInvitation,
    Membership,
    ResearchGroup,
    Role,
    User,
)
from submissions.accounts.permissions import CURATING_ROLES
from submissions.accounts.services import require_admin
from submissions.core.errors import NotFound


def facilities_of(*, user: User) -> QuerySet[Facility]:
    return Facility.objects.filter(memberships__user=user).distinct()


def curated_facilities(*, user: User) -> QuerySet[Facility]:
    if user.is_superuser:
        return Facility.objects.all()
    return Facility.objects.filter(
        memberships__user=user, memberships__role__in=CURATING_ROLES
    ).distinct()


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("facility", "group")


def administered_facilities(*, user: User) -> QuerySet[Facility]:
    if user.is_superuser:
        return Facility.objects.all()
    return Facility.objects.filter(
        memberships__user=user, memberships__role=Role.FACILITY_ADMIN
    ).distinct()


def administered_facility(*, user: User, slug: str) -> Facility:
    """The facility if `user` administers it; 404 for strangers, 403 for other members."""
    facility = Facility.objects.filter(slug=slug).first()
    if facility is None:
        raise NotFound("No such facility.")
    require_admin(user=user, facility=facility)
    return facility


def member_facility(*, user: User, slug: str) -> Facility:
    facility = Facility.objects.filter(slug=slug).first()
    if facility is None or not (
        user.is_superuser or Membership.objects.filter(user=user, facility=facility).exists()
    ):
        raise NotFound("No such facility.")
    return facility


def facility_members(*, facility: Facility) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(facility=facility)
        .select_related("user", "group")
        .order_by("user__email")
    )


def facility_groups(*, facility: Facility) -> QuerySet[ResearchGroup]:
    return ResearchGroup.objects.filter(facility=facility).order_by("name")


def get_membership(*, facility: Facility, membership_id: object) -> Membership:
    try:
        return facility_members(facility=facility).get(pk=int(str(membership_id)))
    except (Membership.DoesNotExist, ValueError):
        raise NotFound("No such member.") from None


def pending_invitations(*, facility: Facility) -> QuerySet[FacilityInvitation]:
    return FacilityInvitation.objects.filter(
        facility=facility, accepted_at=None, revoked_at=None
    ).select_related("group", "invited_by")


def get_invitation(*, facility: Facility, invitation_id: object) -> FacilityInvitation:
    try:
        return pending_invitations(facility=facility).get(pk=int(str(invitation_id)))
    except (FacilityInvitation.DoesNotExist, ValueError):
        raise NotFound("No such invitation.") from None


def invitation_by_token(*, token: str) -> FacilityInvitation:
    invitation = (
        FacilityInvitation.objects.select_related("facility", "group", "invited_by")
        .filter(token=token, revoked_at=None)
        .first()
    )
    if invitation is None:
        raise NotFound("This invitation does not exist or was withdrawn.")
    return invitation


def audit_events(*, facility: Facility) -> QuerySet[FacilityAuditEvent]:
    return FacilityAuditEvent.objects.filter(facility=facility).select_related("actor")
