"""Mail about storage and facility membership: a soft limit passed, a quota-increase request
filed (to the facility admins) or decided (to the requester), an invitation to join."""

from __future__ import annotations

from submissions.accounts.models import FacilityInvitation, User
from submissions.core.units import format_bytes
from submissions.notifications.models import NotificationKind
from submissions.notifications.services.mail import send, send_each
from submissions.notifications.services.submission_mail import admins_of
from submissions.quotas.models import (
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaScope,
    RequestStatus,
)
from submissions.quotas.services.limits import level_name

K = NotificationKind


def soft_limit_warning(*, account_id: int, user_id: int, key: str) -> int:
    """To the person whose change crossed it; admins too when a group or facility crossed."""
    account = (
        QuotaAccount.objects.select_related("facility", "group", "user")
        .filter(pk=account_id)
        .first()
    )
    user = User.objects.filter(pk=user_id).first()
    if account is None or user is None:
        return 0
    people = [user]
    if account.scope != QuotaScope.USER:
        people += list(admins_of(facility_id=account.facility_id).exclude(pk=user.pk))
    return send_each(
        recipients=people,
        kind=K.SOFT_LIMIT,
        key=f"soft_limit:{account.pk}:{key}",
        subject=f"Storage: {account.subject_label} passed its soft limit",
        template="soft_limit",
        context={
            "account": account,
            "facility": account.facility,
            "level": level_name(account),
            "used": format_bytes(account.total_bytes),
            "soft": format_bytes(account.soft_limit or 0),
            "hard": format_bytes(account.hard_limit) if account.hard_limit is not None else None,
        },
    )


def quota_request(*, request_id: int) -> int:
    """A pending request goes to the facility admins; a decided one to its requester."""
    request = (
        QuotaIncreaseRequest.objects.select_related("facility", "requester", "account")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return 0
    context = {
        "request": request,
        "facility": request.facility,
        "requested": format_bytes(request.requested_hard_limit),
    }
    if request.status == RequestStatus.PENDING:
        return send_each(
            recipients=admins_of(facility_id=request.facility_id),
            kind=K.QUOTA_REQUEST,
            key=f"quota_request:{request.pk}:filed",
            subject=f"Quota increase requested by {request.requester.display_name}",
            template="quota_request_filed",
            context=context,
        )
    return int(
        send(
            to=request.requester,
            kind=K.QUOTA_REQUEST,
            key=f"quota_request:{request.pk}:{request.status}",
            subject=f"Your quota request was {request.get_status_display().lower()}",
            template="quota_request_decided",
            context=context,
        )
    )


def invitation(*, invitation_id: int) -> int:
    """To the invited address, which may not have an account yet."""
    found = (
        FacilityInvitation.objects.select_related("facility", "invited_by", "group")
        .filter(pk=invitation_id, accepted_at=None, revoked_at=None)
        .first()
    )
    if found is None:
        return 0
    return int(
        send(
            to=found.email,
            kind=K.INVITATION,
            key=f"invitation:{found.pk}",
            subject=f"You are invited to {found.facility.name} on Aperture",
            template="invitation",
            context={
                "invitation": found,
                "facility": found.facility,
                "role": found.get_role_display(),
            },
        )
    )
