"""Usage over time: daily snapshots and the admin dashboard's figures (charge-back months are
in quotas.services.chargeback).

History comes from UsageSnapshot rows (one per account per day, written by a beat task);
today's point is always read live from the accounts, so a fresh install has a chart from its
first day. Bytes added per month come from the reservations' settle times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from submissions.accounts.models import Facility
from submissions.core.errors import ValidationFailed
from submissions.lifecycle.models import Submission
from submissions.quotas.models import (
    QuotaAccount,
    QuotaReservation,
    QuotaScope,
    ReservationState,
    StorageArea,
    UsageSnapshot,
)

Series = list[tuple[date, int]]


def take_snapshots(*, day: date | None = None) -> int:
    """Record every account's usage for `day` (today); rerunning the same day overwrites it."""
    day = day or timezone.localdate()
    count = 0
    for account in QuotaAccount.objects.order_by("pk").iterator(chunk_size=500):
        UsageSnapshot.objects.update_or_create(
            account=account,
            day=day,
            defaults={
                "used_bytes": account.used_bytes,
                "held_bytes": account.held_bytes,
                "hard_limit": account.hard_limit,
            },
        )
        count += 1
    return count


def _areas(area: str) -> list[str]:
    if area in StorageArea.values:
        return [area]
    if area in ("", "all"):
        return list(StorageArea.values)
    raise ValidationFailed(fields={"area": ["Choose staging, archive or all."]})


def account_series(*, accounts: Iterable[QuotaAccount], since: date) -> dict[int, dict[date, int]]:
    """Per account: day -> bytes in use (used + held), with today's live value."""
    accounts = list(accounts)
    points: dict[int, dict[date, int]] = {a.pk: {} for a in accounts}
    snapshots = UsageSnapshot.objects.filter(
        account__in=[a.pk for a in accounts], day__gte=since
    ).values_list("account_id", "day", "used_bytes", "held_bytes")
    for account_id, day, used, held in snapshots:
        points[account_id][day] = used + held
    today = timezone.localdate()
    for account in accounts:
        points[account.pk][today] = account.total_bytes
    return points


def _summed(points: Iterable[dict[date, int]]) -> Series:
    total: dict[date, int] = defaultdict(int)
    for series in points:
        for day, value in series.items():
            total[day] += value
    return sorted(total.items())


@dataclass(frozen=True)
class Projection:
    account: QuotaAccount
    total_bytes: int
    hard_limit: int
    bytes_per_day: float
    full_on: date | None
    state: str  # "full", "filling", "steady"

    @property
    def over_bytes(self) -> int:
        """How far past the hard limit (0 within it): "full now" understates a lowered limit."""
        return max(0, self.total_bytes - self.hard_limit)


def _slope(series: Series) -> float:
    """Least-squares growth in bytes per day; 0 with fewer than two days."""
    if len(series) < 2:
        return 0.0
    xs = [(day - series[0][0]).days for day, _ in series]
    ys = [value for _, value in series]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def projections(*, facility: Facility, window_days: int = 30) -> list[Projection]:
    """For each account with a hard limit: when it will be full at the recent growth rate."""
    accounts = list(
        QuotaAccount.objects.filter(facility=facility, hard_limit__isnull=False).select_related(
            "facility", "group", "user"
        )
    )
    today = timezone.localdate()
    points = account_series(accounts=accounts, since=today - timedelta(days=window_days))
    result = []
    for account in accounts:
        hard = account.hard_limit or 0
        rate = _slope(sorted(points[account.pk].items()))
        if account.total_bytes >= hard:
            full_on, state = today, "full"
        elif rate > 0:
            full_on, state = today + timedelta(days=(hard - account.total_bytes) / rate), "filling"
        else:
            full_on, state = None, "steady"
        result.append(Projection(account, account.total_bytes, hard, rate, full_on, state))
    return sorted(result, key=lambda p: (p.full_on is None, p.full_on or today))


def usage_over_time(
    *, facility: Facility, scope: str, area: str = "all", days: int = 90, top: int = 8
) -> dict[str, Series]:
    """Label -> series for the facility, its groups or its `top` largest users."""
    accounts = list(
        QuotaAccount.objects.filter(facility=facility, scope=scope, area__in=_areas(area))
        .select_related("facility", "group", "user")
        .order_by("pk")
    )
    since = timezone.localdate() - timedelta(days=days)
    points = account_series(accounts=accounts, since=since)
    by_label: dict[str, list[dict[date, int]]] = defaultdict(list)
    for account in accounts:
        by_label[account.subject_label].append(points[account.pk])
    series = {label: _summed(parts) for label, parts in by_label.items()}
    ranked = sorted(series.items(), key=lambda item: -(item[1][-1][1] if item[1] else 0))
    return dict(ranked[:top])


@dataclass(frozen=True)
class LargeSubmission:
    submission: Submission
    nbytes: int


def largest_submissions(*, facility: Facility, limit: int = 10) -> list[LargeSubmission]:
    rows = (
        QuotaReservation.objects.filter(facility=facility, submission__isnull=False)
        .values("submission_id")
        .annotate(
            settled=Sum(
                F("settled_bytes") - F("deleted_bytes"),
                filter=Q(state=ReservationState.SETTLED),
                default=0,
            ),
            held=Sum("nbytes", filter=Q(state=ReservationState.HELD), default=0),
        )
        .annotate(total=F("settled") + F("held"))
        .filter(total__gt=0)
        .order_by("-total")[:limit]
    )
    totals = {row["submission_id"]: row["total"] for row in rows}
    submissions = Submission.objects.filter(pk__in=totals).select_related("owner", "group")
    found = [LargeSubmission(s, totals[s.pk]) for s in submissions]
    return sorted(found, key=lambda item: -item.nbytes)


def monthly_growth(*, facility: Facility, months: int = 12) -> list[tuple[date, int, int]]:
    """(month, staging bytes added, archive bytes added) for the last `months` months."""
    first = month_start(timezone.localdate(), back=months - 1)
    rows = (
        QuotaReservation.objects.filter(
            facility=facility, state=ReservationState.SETTLED, ended_at__date__gte=first
        )
        .annotate(month=TruncMonth("ended_at"))
        .values("month", "area")
        .annotate(added=Sum("settled_bytes"))
    )
    added: dict[tuple[date, str], int] = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        added[(month, row["area"])] = row["added"] or 0
    result = []
    for index in range(months):
        month = month_start(first, forward=index)
        result.append(
            (
                month,
                added.get((month, StorageArea.STAGING), 0),
                added.get((month, StorageArea.ARCHIVE), 0),
            )
        )
    return result


def _as_points(series: Series) -> list[dict[str, object]]:
    return [{"day": day, "bytes": value} for day, value in series]


def dashboard(*, facility: Facility, area: str = "all", days: int = 90) -> dict[str, object]:
    """Everything the usage dashboard shows, as plain data (the API returns it as JSON)."""
    days = max(7, min(days, 730))
    facility_series = usage_over_time(
        facility=facility, scope=QuotaScope.FACILITY, area=area, days=days
    )
    return {
        "facility": facility.slug,
        "area": area or "all",
        "facility_usage": [
            {"label": "Facility total", "points": _as_points(series)}
            for series in facility_series.values()
        ],
        "by_group": [
            {"label": label, "points": _as_points(series)}
            for label, series in usage_over_time(
                facility=facility, scope=QuotaScope.GROUP, area=area, days=days
            ).items()
        ],
        "by_user": [
            {"label": label, "points": _as_points(series)}
            for label, series in usage_over_time(
                facility=facility, scope=QuotaScope.USER, area=area, days=days
            ).items()
        ],
        "largest_submissions": [
            {
                "id": item.submission.pk,
                "title": item.submission.title,
                "owner": item.submission.owner,
                "status": item.submission.status,
                "bytes": item.nbytes,
            }
            for item in largest_submissions(facility=facility)
        ],
        "growth": [
            {
                "month": month.strftime("%Y-%m"),
                "staging_bytes_added": staging,
                "archive_bytes_added": archive,
            }
            for month, staging, archive in monthly_growth(facility=facility)
        ],
        "projections": [
            {
                "account": p.account.pk,
                "scope": p.account.scope,
                "area": p.account.area,
                "subject": p.account.subject_label,
                "total_bytes": p.total_bytes,
                "hard_limit": p.hard_limit,
                "bytes_per_day": round(p.bytes_per_day, 1),
                "full_on": p.full_on,
                "state": p.state,
                "over_bytes": p.over_bytes,
            }
            for p in projections(facility=facility)
        ],
    }


def month_start(day: date, *, back: int = 0, forward: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back + forward
    return date(index // 12, index % 12 + 1, 1)
