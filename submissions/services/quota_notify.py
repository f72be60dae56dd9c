"""The quota e-mails. Called by tasks after the change that causes them has committed."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from submissions.models import (
    FacilityInvitation,
    Membership,
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaScope,
    Role,
    User,
)
from submissions.services.quota_limits import level_name
from submissions.services.units import format_bytes


def _admin_emails(facility_id: int) -> list[str]:
    return list(
        Membership.objects.filter(facility_id=facility_id, role=Role.FACILITY_ADMIN)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )


def _send(*, subject: str, template: str, context: dict[str, object], to: list[str]) -> None:
    if not to:
        return
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    send_mail(subject, body, None, to)


def soft_limit_warning(*, account_id: int, user_id: int) -> None:
    """To the person whose upload crossed it; admins too when a group or facility crossed."""
    account = QuotaAccount.objects.select_related("facility", "group", "user").filter(pk=account_id)
    user = User.objects.filter(pk=user_id).first()
    found = account.first()
    if found is None or user is None:
        return
    to = [user.email]
    if found.scope != QuotaScope.USER:
        to += [e for e in _admin_emails(found.facility_id) if e != user.email]
    _send(
        subject=f"Storage: {found.subject_label} passed its soft limit",
        template="email/quota/soft_limit.txt",
        context={
            "account": found,
            "level": level_name(found),
            "used": format_bytes(found.total_bytes),
            "soft": format_bytes(found.soft_limit or 0),
            "hard": format_bytes(found.hard_limit) if found.hard_limit is not None else None,
        },
        to=to,
    )


def invitation(*, invitation_id: int) -> None:
    invite = FacilityInvitation.objects.select_related("facility", "invited_by").filter(
        pk=invitation_id, accepted_at=None, revoked_at=None
    )
    found = invite.first()
    if found is None:
        return
    _send(
        subject=f"You are invited to {found.facility.name} on Aperture",
        template="email/quota/invitation.txt",
        context={"invitation": found, "role": found.get_role_display()},
        to=[found.email],
    )


def increase_request_filed(*, request_id: int) -> None:
    request = QuotaIncreaseRequest.objects.select_related("facility", "requester", "account")
    found = request.filter(pk=request_id).first()
    if found is None:
        return
    _send(
        subject=f"Quota increase requested by {found.requester.display_name}",
        template="email/quota/request_filed.txt",
        context={"request": found, "requested": format_bytes(found.requested_hard_limit)},
        to=_admin_emails(found.facility_id),
    )


def increase_request_decided(*, request_id: int) -> None:
    request = QuotaIncreaseRequest.objects.select_related("facility", "requester", "account")
    found = request.filter(pk=request_id).first()
    if found is None:
        return
    _send(
        subject=f"Your quota request was {found.get_status_display().lower()}",
        template="email/quota/request_decided.txt",
        context={"request": found, "requested": format_bytes(found.requested_hard_limit)},
        to=[found.requester.email],
    )
