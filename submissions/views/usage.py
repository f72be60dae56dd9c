"""A researcher's own usage and limits, quota-increase requests, and accepting invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from submissions import selectors_quota as sq
from submissions.auth import user_of
from submissions.models import QuotaScope, StorageArea
from submissions.services import facility_admin, quota_admin
from submissions.services.exceptions import ValidationFailed
from submissions.services.units import parse_bytes


@login_required
def my_usage(request: HttpRequest) -> HttpResponse:
    """Usage and limits per facility; POST files a quota-increase request."""
    user = user_of(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            facility = sq.member_facility(user=user, slug=request.POST.get("facility", ""))
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
        "account/usage.html",
        {
            "usage": sq.usage_of(user=user),
            "requests": sq.requests_of(user=user)[:20],
            "areas": StorageArea.choices,
            "errors": errors,
            "posted": request.POST,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def withdraw_request(request: HttpRequest, pk: int) -> HttpResponse:
    own = sq.get_own_request(user=user_of(request), request_id=pk)
    quota_admin.withdraw_request(user=user_of(request), request=own)
    messages.success(request, "Request withdrawn.")
    return redirect("my-usage")


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show the invitation; POST accepts it (only with the invited e-mail address)."""
    invite = sq.invitation_by_token(token=token)
    if request.method == "POST":
        membership = facility_admin.accept_invitation(user=user_of(request), token=token)
        messages.success(request, f"Welcome to {membership.facility.name}.")
        return redirect("home")
    return render(request, "facility/invitation.html", {"invitation": invite})
