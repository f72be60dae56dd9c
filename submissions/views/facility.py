"""Facility admin pages: usage dashboard, quotas, increase requests and charge-back CSV."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from submissions import charts
from submissions import selectors_quota as sq
from submissions.auth import user_of
from submissions.models import Facility, QuotaAccount, QuotaScope, RequestStatus, StorageArea
from submissions.services import quota_admin, usage_reports
from submissions.services.exceptions import NotFound, ValidationFailed
from submissions.services.units import format_bytes, parse_bytes

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _facility(request: HttpRequest, slug: str) -> Facility:
    return sq.administered_facility(user=user_of(request), slug=slug)


def _page(request: HttpRequest, template: str, facility: Facility, **context: Any) -> HttpResponse:
    context.setdefault("status", 200)
    status = context.pop("status")
    context.update(facility=facility, pending_requests=sq.pending_count(facility=facility))
    return render(request, template, context, status=status)


@login_required
@require_GET
def choose(request: HttpRequest) -> HttpResponse:
    facilities = list(sq.administered_facilities(user=user_of(request)))
    if not facilities:
        raise NotFound("You do not administer a facility.")
    if len(facilities) == 1:
        return redirect("facility-dashboard", slug=facilities[0].slug)
    return render(request, "facility/choose.html", {"facilities": facilities})


def _lines(series: list[dict[str, Any]]) -> list[charts.Line]:
    return charts.styled(
        [(s["label"], [(p["day"], p["bytes"]) for p in s["points"]]) for s in series]
    )


@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    facility = _facility(request, slug)
    area = request.GET.get("area", "all")
    if area not in ("all", *StorageArea.values):
        area = "all"
    data = usage_reports.dashboard(facility=facility, area=area, days=90)
    sections = []
    for key, title in (
        ("facility_usage", "Facility usage over time"),
        ("by_group", "Usage by group over time"),
        ("by_user", "Usage by user over time (largest eight)"),
    ):
        lines = _lines(data[key])  # type: ignore[arg-type]
        sections.append(
            {
                "key": key,
                "title": title,
                "lines": lines,
                "svg": charts.line_chart(title=title, lines=lines),
            }
        )
    growth: list[dict[str, Any]] = data["growth"]  # type: ignore[assignment]
    growth_svg = charts.bar_chart(
        title="Bytes added per month",
        labels=[f"{MONTHS[int(g['month'][5:]) - 1]} {g['month'][2:4]}" for g in growth],
        stacks=[
            ("Staging", [g["staging_bytes_added"] for g in growth]),
            ("Archive", [g["archive_bytes_added"] for g in growth]),
        ],
    )
    today = timezone.localdate()
    return _page(
        request,
        "facility/dashboard.html",
        facility,
        area=area,
        areas=[("all", "All storage"), *StorageArea.choices],
        sections=sections,
        growth=growth,
        growth_svg=growth_svg,
        palette=charts.PALETTE,
        largest=data["largest_submissions"],
        projections=data["projections"],
        csv_from=f"{today.year - (1 if today.month == 1 else 0)}-{(today.month - 2) % 12 + 1:02d}",
        csv_to=f"{today:%Y-%m}",
    )


def _quota_rows(facility: Facility, area: str) -> list[dict[str, Any]]:
    """Facility, each group and each member, with their account in `area` when one exists."""
    accounts = {
        (a.scope, a.group_id, a.user_id): a
        for a in sq.facility_accounts(facility=facility).filter(area=area)
    }
    rows: list[dict[str, Any]] = [
        {"scope": QuotaScope.FACILITY, "label": facility.name, "id": None}
    ]
    rows += [
        {"scope": QuotaScope.GROUP, "label": g.name, "id": g.pk}
        for g in sq.facility_groups(facility=facility)
    ]
    rows += [
        {
            "scope": QuotaScope.USER,
            "label": m.user.display_name,
            "email": m.user.email,
            "id": m.user_id,
        }
        for m in sq.facility_members(facility=facility)
    ]
    for row in rows:
        key = (
            row["scope"],
            row["id"] if row["scope"] == QuotaScope.GROUP else None,
            row["id"] if row["scope"] == QuotaScope.USER else None,
        )
        account: QuotaAccount | None = accounts.get(key)
        row["account"] = account
        row["level"] = sq.level_of(account) if account else None
        row["form_id"] = f"q-{area}-{row['scope']}-{row['id'] or 0}"
    return rows


@login_required
def quotas(request: HttpRequest, slug: str) -> HttpResponse:
    facility = _facility(request, slug)
    errors: dict[str, list[str]] = {}
    failed_form = ""
    if request.method == "POST":
        failed_form = request.POST.get("form_id", "")
        try:
            soft = parse_bytes(request.POST.get("soft_limit", ""), field="soft_limit")
            hard = parse_bytes(request.POST.get("hard_limit", ""), field="hard_limit")
            subject = request.POST.get("subject_id") or None
            scope = request.POST.get("scope", "")
            account = quota_admin.account_for(
                facility=facility,
                scope=scope,
                area=request.POST.get("area", ""),
                group_id=int(subject) if subject and scope == QuotaScope.GROUP else None,
                user_id=int(subject) if subject and scope == QuotaScope.USER else None,
            )
            quota_admin.set_limits(
                admin=user_of(request), account=account, soft_limit=soft, hard_limit=hard
            )
            messages.success(request, f"Saved the limits of {account.subject_label}.")
            return redirect("facility-quotas", slug=facility.slug)
        except ValidationFailed as error:
            errors = error.fields or {"hard_limit": [error.message]}
        except ValueError:
            errors = {"hard_limit": ["That row no longer exists; reload the page."]}
    return _page(
        request,
        "facility/quotas.html",
        facility,
        tables=[
            {"area": area, "label": label, "rows": _quota_rows(facility, area)}
            for area, label in StorageArea.choices
        ],
        errors=errors,
        failed_form=failed_form,
        posted=request.POST,
        audit=sq.audit_events(facility=facility).filter(kind="quota.changed")[:20],
        status=400 if errors else 200,
    )


@login_required
@require_GET
def requests(request: HttpRequest, slug: str) -> HttpResponse:
    facility = _facility(request, slug)
    return _page(
        request,
        "facility/requests.html",
        facility,
        pending=sq.quota_requests(facility=facility, status=RequestStatus.PENDING),
        decided=sq.quota_requests(facility=facility).exclude(status=RequestStatus.PENDING)[:50],
    )


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = _facility(request, slug)
    decided = quota_admin.decide_request(
        admin=user_of(request),
        request=sq.get_quota_request(facility=facility, request_id=pk),
        approve=request.POST.get("decision") == "approve",
        note=request.POST.get("note", ""),
    )
    messages.success(
        request,
        f"{decided.get_status_display()}: {decided.requester.display_name}, "
        f"{format_bytes(decided.requested_hard_limit)}. They have been told by e-mail.",
    )
    return redirect("facility-requests", slug=facility.slug)


@login_required
@require_GET
def audit(request: HttpRequest, slug: str) -> HttpResponse:
    facility = _facility(request, slug)
    return _page(
        request, "facility/audit.html", facility, events=sq.audit_events(facility=facility)[:500]
    )


@login_required
@require_GET
def chargeback_csv(request: HttpRequest, slug: str) -> HttpResponse:
    facility = _facility(request, slug)
    first = usage_reports.parse_month(request.GET.get("from", ""), field="from")
    last = usage_reports.parse_month(request.GET.get("to", ""), field="to")
    body = usage_reports.chargeback_csv(facility=facility, first=first, last=last)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"{facility.slug}-usage-{first:%Y-%m}-{last:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
