"""Quota pages: the facility admin's usage dashboard, quotas, increase requests and charge-back
CSV, and a person's own usage and requests."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from submissions.accounts import selectors as accounts_selectors
from submissions.accounts.models import Facility
from submissions.accounts.views import admin_facility, facility_page
from submissions.core.auth import user_of
from submissions.core.errors import ValidationFailed
from submissions.core.http import csv_attachment
from submissions.core.units import format_bytes, parse_bytes
from submissions.quotas import charts, selectors
from submissions.quotas.models import QuotaAccount, QuotaScope, RequestStatus, StorageArea
from submissions.quotas.services import admin as quota_admin
from submissions.quotas.services import chargeback
from submissions.quotas.services import reports as usage_reports

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _lines(series: list[dict[str, Any]]) -> list[charts.Line]:
    return charts.styled(
        [(s["label"], [(p["day"], p["bytes"]) for p in s["points"]]) for s in series]
    )


@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    facility = admin_facility(request, slug)
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
    return facility_page(
        request,
        "quotas/dashboard.html",
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
        for a in selectors.facility_accounts(facility=facility).filter(area=area)
    }
    rows: list[dict[str, Any]] = [
        {"scope": QuotaScope.FACILITY, "label": facility.name, "id": None}
    ]
    rows += [
        {"scope": QuotaScope.GROUP, "label": g.name, "id": g.pk}
        for g in accounts_selectors.facility_groups(facility=facility)
    ]
    rows += [
        {
            "scope": QuotaScope.USER,
            "label": m.user.display_name,
            "email": m.user.email,
            "id": m.user_id,
        }
        for m in accounts_selectors.facility_members(facility=facility)
    ]
    for row in rows:
        key = (
            row["scope"],
            row["id"] if row["scope"] == QuotaScope.GROUP else None,
            row["id"] if row["scope"] == QuotaScope.USER else None,
        )
        account: QuotaAccount | None = accounts.get(key)
        row["account"] = account
        row["level"] = selectors.level_of(account) if account else None
        row["form_id"] = f"q-{area}-{row['scope']}-{row['id'] or 0}"
    return rows


@login_required
def quotas(request: HttpRequest, slug: str) -> HttpResponse:
    facility = admin_facility(request, slug)
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
    return facility_page(
        request,
        "quotas/quotas.html",
        facility,
        tables=[
            {"area": area, "label": label, "rows": _quota_rows(facility, area)}
            for area, label in StorageArea.choices
        ],
        errors=errors,
        failed_form=failed_form,
        posted=request.POST,
        audit=accounts_selectors.audit_events(facility=facility).filter(kind="quota.changed")[:20],
        status=400 if errors else 200,
    )


@login_required
@require_GET
def requests(request: HttpRequest, slug: str) -> HttpResponse:
    facility = admin_facility(request, slug)
    return facility_page(
        request,
        "quotas/requests.html",
        facility,
        pending=selectors.quota_requests(facility=facility, status=RequestStatus.PENDING),
        decided=selectors.quota_requests(facility=facility).exclude(status=RequestStatus.PENDING)[
            :50
        ],
    )


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = admin_facility(request, slug)
    decided = quota_admin.decide_request(
        admin=user_of(request),
        request=selectors.get_quota_request(facility=facility, request_id=pk),
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
def chargeback_csv(request: HttpRequest, slug: str) -> HttpResponse:
    facility = admin_facility(request, slug)
    name, body = chargeback.chargeback_download(
        facility=facility,
        first_month=request.GET.get("from", ""),
        last_month=request.GET.get("to", ""),
    )
    return csv_attachment(name, body)


@login_required
def my_usage(request: HttpRequest) -> HttpResponse:
    """Usage and limits per facility; POST files a quota-increase request."""
    user = user_of(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            facility = accounts_selectors.member_facility(
                user=user, slug=request.POST.get("facility", "")
            )
            requested = parse_bytes(request.POST.get("requested", ""), field="requested")
            if requested is None:
                raise ValidationFailed(fields={"requested": ["Say how much you need."]})
            quota_admin.request_increase(
                user=user,
                facility=facility,
                scope=request.POST.get("scope", QuotaScope.USER),
                area=request.POST.get("area", StorageArea.STAGING),
                requested_hard_limit=requested,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "Request sent. The facility's administrators will decide.")
            return redirect("my-usage")
        except ValidationFailed as error:
            errors = {
                ("requested" if key == "requested_hard_limit" else key): value
                for key, value in error.fields.items()
            } or {"reason": [error.message]}
    return render(
        request,
        "quotas/my_usage.html",
        {
            "usage": selectors.usage_of(user=user),
            "requests": selectors.requests_of(user=user)[:20],
            "areas": selectors.area_choices(),
            "errors": errors,
            "posted": request.POST,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def withdraw_request(request: HttpRequest, pk: int) -> HttpResponse:
    own = selectors.get_own_request(user=user_of(request), request_id=pk)
    quota_admin.withdraw_request(user=user_of(request), request=own)
    messages.success(request, "Request withdrawn.")
    return redirect("my-usage")
