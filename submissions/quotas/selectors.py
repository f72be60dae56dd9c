"""Permission-scoped reads for quotas and facility administration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from submissions.accounts.models import (
    Facility,
    Membership,
    User,
)
from submissions.core.errors import NotFound
from submissions.core.units import format_bytes
from submissions.quotas.models import (
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaScope,
    RequestStatus,
    StorageArea,
)

# A meter turns to caution at this share of its hard limit (or at the soft limit if lower).
NEAR_LIMIT = 0.9


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

    @property
    def over_bytes(self) -> int:
        """How far past the hard limit (a limit lowered below what is stored, or a
        reconciliation that found more): 0 when within it."""
        return 0 if self.hard_limit is None else max(0, self.total_bytes - self.hard_limit)

    @property
    def tone(self) -> str:
        """How a meter looks: "over" the hard limit, "full" at it, "caution" near it (at
        NEAR_LIMIT of it or past the soft limit), else "ok"."""
        if self.over_bytes:
            return "over"
        if self.state == "full":
            return "full"
        near = self.hard_limit is not None and self.total_bytes >= NEAR_LIMIT * self.hard_limit
        return "caution" if near or self.state == "warn" else "ok"

    @property
    def caution_at(self) -> int | None:
        """Where a meter's bar turns to caution: the soft limit or NEAR_LIMIT of the hard
        one, whichever comes first."""
        if self.hard_limit is None:
            return None
        near = int(NEAR_LIMIT * self.hard_limit)
        return near if self.soft_limit is None else min(near, self.soft_limit)

    @property
    def status_text(self) -> str:
        """The meter's state in words, for everyone ("" when all is well)."""
        tone = self.tone
        if tone == "over":
            return f"Over the limit by {format_bytes(self.over_bytes)}"
        if tone == "full":
            return "At the limit"
        if tone == "caution" and self.soft_limit is not None and self.total_bytes > self.soft_limit:
            return f"Past the warning level, {self.percent}% of the limit used"
        if tone == "caution":
            return f"Close to the limit: {self.percent}% used"
        return ""

    @property
    def status_phrase(self) -> str:
        """`status_text` to continue a sentence ("… of 10 GB: over the limit by 1.2 GB")."""
        text = self.status_text
        return text[:1].lower() + text[1:]

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
            "over_bytes": self.over_bytes,
            "tone": self.tone,
            "status_text": self.status_text,
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
    if not limited:
        return None
    return min(limited, key=lambda lv: (lv.remaining_bytes or 0, -lv.over_bytes))


# What each area holds, said where its meter is drawn, so its figure is no surprise: the
# review copies made at submit are charged to staging (processing.review_copies).
AREA_TITLES: dict[str, str] = {StorageArea.STAGING: "Staging (uploads and review copies)"}
AREA_NOTES: dict[str, str] = {
    StorageArea.STAGING: (
        "Staging holds the files you upload and, once you submit, the review copies made of "
        "your images so the curators can view them: both count here."
    ),
    StorageArea.ARCHIVE: "The archive holds published datasets.",
}


def area_title(area: str) -> str:
    """An area's name as people read it, saying what it holds."""
    return AREA_TITLES.get(area, StorageArea(area).label)


def area_choices() -> list[tuple[str, str]]:
    return [(value, area_title(value)) for value in StorageArea.values]


def usage_meter_context(*, user: User, facility: Facility, area: str = "staging") -> dict[str, Any]:
    """Context for templates/submissions/_usage_meter.html: `{% include ... with meter=... %}`."""
    levels = levels_for(user=user, facility=facility, area=area)
    tightest = binding_level(levels)
    return {
        "usage_meter": {
            "facility": facility,
            "area": area,
            "area_label": area_title(area),
            "area_note": AREA_NOTES.get(area, ""),
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
                        "label": area_title(area),
                        "levels": levels_for(user=user, facility=facility, area=area),
                    }
                    for area in StorageArea.values
                ],
            }
        )
    return result


def pending_count(*, facility: Facility) -> int:
    return quota_requests(facility=facility, status=RequestStatus.PENDING).count()
