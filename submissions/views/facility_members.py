"""Facility admin pages: members, roles and invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from submissions import selectors_quota as sq
from submissions.auth import user_of
from submissions.models import Role
from submissions.services import facility_admin
from submissions.services.exceptions import ValidationFailed
from submissions.views.facility import _facility, _page


def _group_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise ValidationFailed(fields={"group": ["Choose a group from the list."]}) from None


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The member list; POST invites someone (errors shown at the field, input kept)."""
    facility = _facility(request, slug)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            invitation = facility_admin.invite(
                admin=user_of(request),
                facility=facility,
                email=request.POST.get("email", ""),
                role=request.POST.get("role", Role.RESEARCHER),
                group_id=_group_id(request.POST.get("group")),
            )
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("facility-members", slug=facility.slug)
        except ValidationFailed as error:
            errors = error.fields
    return _page(
        request,
        "facility/members.html",
        facility,
        members=sq.facility_members(facility=facility),
        invitations=sq.pending_invitations(facility=facility),
        groups=sq.facility_groups(facility=facility),
        roles=Role.choices,
        errors=errors,
        posted=request.POST,
        status=400 if errors else 200,
    )


@login_required
@require_POST
def change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = _facility(request, slug)
    member = sq.get_membership(facility=facility, membership_id=pk)
    changed = facility_admin.change_member(
        admin=user_of(request),
        membership=member,
        role=request.POST.get("role") or None,
        group_id=_group_id(request.POST.get("group")),
        set_group="group" in request.POST,
    )
    messages.success(request, f"Saved {changed.user.email}: {changed.get_role_display()}.")
    return redirect("facility-members", slug=facility.slug)


@login_required
@require_POST
def remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = _facility(request, slug)
    member = sq.get_membership(facility=facility, membership_id=pk)
    email = member.user.email
    facility_admin.remove_member(admin=user_of(request), membership=member)
    messages.success(request, f"{email} is no longer a member. Their data stays.")
    return redirect("facility-members", slug=facility.slug)


@login_required
@require_POST
def revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = _facility(request, slug)
    invitation = sq.get_invitation(facility=facility, invitation_id=pk)
    facility_admin.revoke_invitation(admin=user_of(request), invitation=invitation)
    messages.success(request, f"Withdrew the invitation of {invitation.email}.")
    return redirect("facility-members", slug=facility.slug)
