"""Charge-back: one row per group per month (average, peak and month-end bytes, bytes added,
GB-months), as CSV for the facility's billing. Users with no group are billed on a
"(no group)" row, computed as the facility minus its groups. Cells that could start a
spreadsheet formula are quoted."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from datetime import date

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from submissions.accounts.models import Facility
from submissions.core.errors import ValidationFailed
from submissions.quotas.models import (
    QuotaAccount,
    QuotaReservation,
    QuotaScope,
    ReservationState,
    UsageSnapshot,
)
from submissions.quotas.services.reports import month_start

NO_GROUP = "(no group)"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, *, field: str) -> date:
    match = _MONTH.match(text or "")
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(fields={field: ["Give a month as YYYY-MM, e.g. 2025-03."]})
    return date(int(match.group(1)), int(match.group(2)), 1)


CHARGEBACK_HEADER = [
    "month",
    "facility",
    "group",
    "area",
    "average_bytes",
    "peak_bytes",
    "end_of_month_bytes",
    "bytes_added",
    "gb_months",
    "days_recorded",
]


def chargeback_rows(*, facility: Facility, first: date, last: date) -> list[list[object]]:
    """Usage per group per month, from daily snapshots: average, peak and month-end bytes.

    gb_months = average bytes / 10^9 over the month (a TB stored all month is 1000 GB-months).
    Users with no group are billed on a "(no group)" row: the facility's usage minus its
    groups'.
    """
    if last < first:
        raise ValidationFailed(fields={"to": ["The last month comes before the first."]})
    if (last.year - first.year) * 12 + last.month - first.month >= 120:
        raise ValidationFailed(fields={"to": ["Export at most ten years at once."]})
    end = date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
    accounts = list(
        QuotaAccount.objects.filter(
            facility=facility, scope__in=[QuotaScope.FACILITY, QuotaScope.GROUP]
        ).select_related("facility", "group")
    )
    daily: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    snapshots = UsageSnapshot.objects.filter(
        account__in=accounts, day__gte=first, day__lte=end
    ).values_list("account_id", "day", "used_bytes", "held_bytes")
    by_id = {a.pk: a for a in accounts}
    for account_id, day, used, held in snapshots:
        account = by_id[account_id]
        if account.scope == QuotaScope.GROUP:
            daily[(account.subject_label, account.area)][day] += used + held
            daily[(NO_GROUP, account.area)][day] -= used + held
        else:
            daily[(NO_GROUP, account.area)][day] += used + held
    added = _added_by_group_month(facility=facility, first=first, end=end)
    keys = set(daily) | {(group, area) for group, area, _ in added}
    rows: list[list[object]] = []
    month = first
    while month <= last:
        for group, area in sorted(keys):
            days = {d: v for d, v in daily[(group, area)].items() if _same_month(d, month)}
            plus = added.get((group, area, month), 0)
            if not days and not plus:
                continue
            values = [max(0, v) for _, v in sorted(days.items())]
            if group == NO_GROUP and not plus and not any(values):
                continue
            average = round(sum(values) / len(values)) if values else 0
            rows.append(
                [
                    month.strftime("%Y-%m"),
                    facility.slug,
                    group,
                    area,
                    average,
                    max(values, default=0),
                    values[-1] if values else 0,
                    plus,
                    f"{average / 1e9:.3f}",
                    len(values),
                ]
            )
        month = month_start(month, forward=1)
    return rows


def _same_month(day: date, month: date) -> bool:
    return day.year == month.year and day.month == month.month


def _added_by_group_month(
    *, facility: Facility, first: date, end: date
) -> dict[tuple[str, str, date], int]:
    rows = (
        QuotaReservation.objects.filter(
            facility=facility,
            state=ReservationState.SETTLED,
            ended_at__date__gte=first,
            ended_at__date__lte=end,
        )
        .annotate(month=TruncMonth("ended_at"))
        .values("group__name", "area", "month")
        .annotate(added=Sum("settled_bytes"))
    )
    result: dict[tuple[str, str, date], int] = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        result[(row["group__name"] or NO_GROUP, row["area"], month)] = row["added"] or 0
    return result


def chargeback_csv(*, facility: Facility, first: date, last: date) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CHARGEBACK_HEADER)
    for row in chargeback_rows(facility=facility, first=first, last=last):
        # Group names are typed by people: never let a cell start a spreadsheet formula.
        writer.writerow([_safe_cell(cell) for cell in row])
    return buffer.getvalue()


def _safe_cell(cell: object) -> object:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def chargeback_download(
    *, facility: Facility, first_month: str, last_month: str
) -> tuple[str, str]:
    """The CSV for months "YYYY-MM" to "YYYY-MM" and the file name to save it under."""
    first = parse_month(first_month, field="from")
    last = parse_month(last_month, field="to")
    body = chargeback_csv(facility=facility, first=first, last=last)
    return f"{facility.slug}-usage-{first:%Y-%m}-{last:%Y-%m}.csv", body
