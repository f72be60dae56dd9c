"""Account pages (details, API token) and the facility admin's membership pages (members,
roles, invitations, the audit log), plus accepting an invitation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from submissions.accounts import selectors, services, tokens
from submissions.accounts.models import Facility, Role
from submissions.core.auth import user_of
from submissions.core.errors import NotFound, ValidationFailed


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """The person's API tokens; POST makes one and shows its key on this answer only."""
    user = user_of(request)
    context: dict[str, Any] = {"errors": {}, "name": ""}
    status = 200
    if request.method == "POST":
        context["name"] = request.POST.get("name", "")
        try:
            context["new_token"], context["new_key"] = tokens.issue_token(
                user=user, name=context["name"]
            )
            context["name"] = ""
            status = 201
        except ValidationFailed as error:
            context["errors"] = error.fields
            context["error_message"] = error.message
            status = 400
    context["tokens"] = tokens.listed_tokens(user=user)
    context["token_days"] = settings.API_TOKEN_DAYS
    response = render(request, "accounts/api_token.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the new key must not stay in any cache
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    tokens.revoke_token(user=user_of(request), token_id=pk)
    messages.success(request, "The token was revoked; programs using it can no longer sign in.")
    back = "account" if request.POST.get("from") == "account" else "api-token-page"
    return redirect(back)


@login_required
@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of the person, this one too, and revoke every API token."""
    tokens.log_out_everywhere(user=user_of(request))
    logout(request)
    messages.success(
        request,
        "You are signed out on every device, and your API tokens no longer work. "
        "Sign in again to continue.",
    )
    return redirect("account_login")


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The person's own details, with links to everything else about their account."""
    user = user_of(request)
    values = {"full_name": user.full_name, "orcid": user.orcid}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in values}
        try:
            services.update_profile(user=user, **values)
        except ValidationFailed as error:
            errors = error.fields
        else:
            messages.success(request, "Your details were saved.")
            return redirect("account")
    status = 400 if errors else 200
    context = {"values": values, "errors": errors, "tokens": tokens.listed_tokens(user=user)}
    return render(request, "accounts/profile.html", context, status=status)


def admin_facility(request: HttpRequest, slug: str) -> Facility:
    """The facility `slug` if the signed-in person administers it (404 or 403 otherwise)."""
    return selectors.administered_facility(user=user_of(request), slug=slug)


def facility_page(
    request: HttpRequest, template: str, facility: Facility, **context: Any
) -> HttpResponse:
    """A page of a facility's administration (with its tabs); `status` sets the HTTP status."""
    status = context.pop("status", 200)
    return render(request, template, {**context, "facility": facility}, status=status)


def _group_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise ValidationFailed(fields={"group": ["Choose a group from the list."]}) from None


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The member list; POST invites someone (errors shown at the field, input kept)."""
    facility = admin_facility(request, slug)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            invitation = services.invite(
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
    return facility_page(
        request,
        "accounts/members.html",
        facility,
        members=selectors.facility_members(facility=facility),
        invitations=selectors.pending_invitations(facility=facility),
        groups=selectors.facility_groups(facility=facility),
        roles=Role.choices,
        errors=errors,
        posted=request.POST,
        status=400 if errors else 200,
    )


@login_required
@require_POST
def change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = admin_facility(request, slug)
    member = selectors.get_membership(facility=facility, membership_id=pk)
    changed = services.change_member(
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
    facility = admin_facility(request, slug)
    member = selectors.get_membership(facility=facility, membership_id=pk)
    email = member.user.email
    services.remove_member(admin=user_of(request), membership=member)
    messages.success(
        request,
        f"{email} is no longer a member. Their drafts here are frozen, and the facility's "
        "curators still see everything they submitted.",
    )
    return redirect("facility-members", slug=facility.slug)


@login_required
@require_POST
def revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    facility = admin_facility(request, slug)
    invitation = selectors.get_invitation(facility=facility, invitation_id=pk)
    services.revoke_invitation(admin=user_of(request), invitation=invitation)
    messages.success(request, f"Withdrew the invitation of {invitation.email}.")
    return redirect("facility-members", slug=facility.slug)


@login_required
@require_GET
def choose(request: HttpRequest) -> HttpResponse:
    facilities = list(selectors.administered_facilities(user=user_of(request)))
    if not facilities:
        raise NotFound("You do not administer a facility.")
    if len(facilities) == 1:
        return redirect("facility-dashboard", slug=facilities[0].slug)
    return render(request, "accounts/choose_facility.html", {"facilities": facilities})


@login_required
@require_http_methods(["GET", "POST"])
def facility_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The facility's own rules (services.FACILITY_SETTINGS, one checkbox each) and how its
    datasets are published (ROR id, embargoed titles), each a form of its own."""
    from submissions.publication.services import facility as publication

    facility = admin_facility(request, slug)
    errors: dict[str, list[str]] = {}
    ror, show_titles = facility.ror, facility.show_embargoed_titles
    if request.method == "POST" and request.POST.get("section") == "publication":
        ror = request.POST.get("ror", "")
        show_titles = "show_embargoed_titles" in request.POST
        try:
            publication.update_settings(
                admin=user_of(request),
                facility=facility,
                ror=ror,
                show_embargoed_titles=show_titles,
            )
        except ValidationFailed as error:
            errors = error.fields
        else:
            messages.success(request, "The publication settings were saved.")
            return redirect("facility-settings", slug=facility.slug)
    elif request.method == "POST":
        # Each form saves its own section's checkboxes (an unticked box is simply absent).
        section = request.POST.get("section") or "review"
        changes = {
            name: name in request.POST
            for name, setting in services.FACILITY_SETTINGS.items()
            if setting.section == section
        }
        services.update_facility_settings(
            admin=user_of(request), facility=facility, changes=changes
        )
        messages.success(request, "The facility's settings were saved.")
        return redirect("facility-settings", slug=facility.slug)
    rows = [
        {"name": name, "setting": setting, "on": getattr(facility, name)}
        for name, setting in services.FACILITY_SETTINGS.items()
    ]
    storage_rows = [row for row in rows if row["setting"].section == "storage"]
    rows = [row for row in rows if row["setting"].section == "review"]
    return facility_page(
        request,
        "accounts/settings.html",
        facility,
        rows=rows,
        storage_rows=storage_rows,
        ror=ror,
        show_titles=show_titles,
        errors=errors,
        status=400 if errors else 200,
    )


@login_required
@require_GET
def audit(request: HttpRequest, slug: str) -> HttpResponse:
    facility = admin_facility(request, slug)
    return facility_page(
        request,
        "accounts/audit.html",
        facility,
        events=selectors.audit_events(facility=facility)[:500],
    )


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show the invitation; POST accepts it (only with the invited e-mail address)."""
    invite = selectors.invitation_by_token(token=token)
    if request.method == "POST":
        membership = services.accept_invitation(user=user_of(request), token=token)
        messages.success(request, f"Welcome to {membership.facility.name}.")
        return redirect("home")
    return render(request, "accounts/invitation.html", {"invitation": invite})
