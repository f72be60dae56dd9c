"""Permission-scoped reads for quotas and facility administration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from submissions.models import (
    Facility,
    FacilityAuditEvent,
    FacilityInvitation,
    Membership,
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaScope,
    RequestStatus,
    ResearchGroup,
    Role,
    StorageArea,
    User,
)
from submissions.services.exceptions import NotFound
from submissions.services.facility_admin import require_admin
from submissions.services.units import format_bytes


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


def facility_accounts(*, facility: Facility) -> QuerySet[QuotaAccount]:
    return QuotaAccount.objects.filter(facility=facility).select_related(
        "facility", "group", "user"
    )


def get_account(*, facility: Facility, account_id: object) -> QuotaAccount:
    try:
        return facility_accounts(facility=facility).get(pk=int(str(account_id)))
    except (QuotaAccount.DoesNotExist, ValueError):
        raise NotFound("No such quota.") from None


def quota_requests(
    *, facility: Facility, status: str | None = None
) -> QuerySet[QuotaIncreaseRequest]:
    requests = QuotaIncreaseRequest.objects.filter(facility=facility).select_related(
        "requester", "account", "account__group", "account__user", "decided_by"
    )
    return requests.filter(status=status) if status else requests


def get_quota_request(*, facility: Facility, request_id: object) -> QuotaIncreaseRequest:
    try:
        return quota_requests(facility=facility).get(pk=int(str(request_id)))
    except (QuotaIncreaseRequest.DoesNotExist, ValueError):
        raise NotFound("No such request.") from None


def requests_of(*, user: User) -> QuerySet[QuotaIncreaseRequest]:
    return QuotaIncreaseRequest.objects.filter(requester=user).select_related(
        "facility", "account", "account__group", "account__user"
    )


def get_own_request(*, user: User, request_id: object) -> QuotaIncreaseRequest:
    try:
        return requests_of(user=user).get(pk=int(str(request_id)))
    except (QuotaIncreaseRequest.DoesNotExist, ValueError):
        raise NotFound("No such request.") from None


def audit_events(*, facility: Facility) -> QuerySet[FacilityAuditEvent]:
    return FacilityAuditEvent.objects.filter(facility=facility).select_related("actor")


# --- What a person sees of their own usage ------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One limit that applies to someone: their own, their group's or the facility's."""

    scope: str
    label: str
    area: str
    used_bytes: int
    held_bytes: int
    soft_limit: int | None
    hard_limit: int | None

    @property
    def total_bytes(self) -> int:
        return self.used_bytes + self.held_bytes

    @property
    def remaining_bytes(self) -> int | None:
        return None if self.hard_limit is None else max(0, self.hard_limit - self.total_bytes)

    @property
    def percent(self) -> int | None:
        if not self.hard_limit:
            return None if self.hard_limit is None else 100
        return min(100, round(100 * self.total_bytes / self.hard_limit))

    @property
    def state(self) -> str:
        if self.hard_limit is not None and self.total_bytes >= self.hard_limit:
            return "full"
        if self.soft_limit is not None and self.total_bytes > self.soft_limit:
            return "warn"
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "label": self.label,
            "area": self.area,
            "used_bytes": self.used_bytes,
            "held_bytes": self.held_bytes,
            "total_bytes": self.total_bytes,
            "soft_limit": self.soft_limit,
            "hard_limit": self.hard_limit,
            "remaining_bytes": self.remaining_bytes,
            "percent": self.percent,
            "state": self.state,
        }


def level_of(account: QuotaAccount) -> Level:
    label = {
        QuotaScope.USER: "You",
        QuotaScope.GROUP: f"Group {account.subject_label}",
        QuotaScope.FACILITY: f"Facility {account.subject_label}",
    }[QuotaScope(account.scope)]
    return Level(
        account.scope,
        label,
        account.area,
        account.used_bytes,
        account.held_bytes,
        account.soft_limit,
        account.hard_limit,
    )


def levels_for(*, user: User, facility: Facility, area: str) -> list[Level]:
    """User, group and facility levels (those that exist yet count as zero with no limit)."""
    membership = Membership.objects.filter(user=user, facility=facility).first()
    group = membership.group if membership else None
    accounts = QuotaAccount.objects.filter(facility=facility, area=area).select_related(
        "facility", "group", "user"
    )
    found = {
        QuotaScope.USER: accounts.filter(scope=QuotaScope.USER, user=user).first(),
        QuotaScope.GROUP: accounts.filter(scope=QuotaScope.GROUP, group=group).first()
        if group
        else None,
        QuotaScope.FACILITY: accounts.filter(scope=QuotaScope.FACILITY).first(),
    }
    levels = []
    for scope, account in found.items():
        if account is not None:
            levels.append(level_of(account))
        elif scope != QuotaScope.GROUP or group is not None:
            label = {
                QuotaScope.USER: "You",
                QuotaScope.GROUP: f"Group {group.name if group else ''}",
                QuotaScope.FACILITY: f"Facility {facility.name}",
            }[scope]
            levels.append(Level(scope, label, area, 0, 0, None, None))
    return levels


def binding_level(levels: list[Level]) -> Level | None:
    """The tightest limit: the one with the least room left."""
    limited = [level for level in levels if level.hard_limit is not None]
    return min(limited, key=lambda lv: lv.remaining_bytes or 0) if limited else None


def usage_meter_context(*, user: User, facility: Facility, area: str = "staging") -> dict[str, Any]:
    """Context for templates/submissions/_usage_meter.html: `{% include ... with meter=... %}`."""
    levels = levels_for(user=user, facility=facility, area=area)
    tightest = binding_level(levels)
    return {
        "usage_meter": {
            "facility": facility,
            "area": area,
            "area_label": StorageArea(area).label,
            "levels": levels,
            "tightest": tightest,
            "remaining_text": format_bytes(tightest.remaining_bytes or 0) if tightest else None,
            "check_url": "/api/v1/quota/check/",
        }
    }


def usage_of(*, user: User) -> list[dict[str, Any]]:
    """For each facility of the user: its levels in both areas."""
    result = []
    for membership in Membership.objects.filter(user=user).select_related("facility", "group"):
        facility = membership.facility
        result.append(
            {
                "facility": facility,
                "membership": membership,
                "areas": [
                    {
                        "area": area,
                        "label": StorageArea(area).label,
                        "levels": levels_for(user=user, facility=facility, area=area),
                    }
                    for area in StorageArea.values
                ],
            }
        )
    return result


def pending_count(*, facility: Facility) -> int:
    return quota_requests(facility=facility, status=RequestStatus.PENDING).count()
