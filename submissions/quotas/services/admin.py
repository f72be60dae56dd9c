"""Quota limits and the requests to raise them. Every change writes a FacilityAuditEvent."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from submissions.accounts.models import Facility, Membership, ResearchGroup, User
from submissions.accounts.services import record_audit, require_admin
from submissions.core import dispatch
from submissions.core.errors import InvalidTransition, NotFound, ValidationFailed
from submissions.core.units import MAX_LIMIT, format_bytes
from submissions.quotas.models import (
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaScope,
    RequestStatus,
    StorageArea,
)
from submissions.quotas.services.limits import get_account

MAX_REASON = 5000


def _limit_text(value: int | None) -> str:
    return "no limit" if value is None else format_bytes(value)


def account_for(
    *,
    facility: Facility,
    scope: str,
    area: str,
    group_id: int | None = None,
    user_id: int | None = None,
) -> QuotaAccount:
    """The account a limit applies to; the group or user must belong to the facility."""
    if area not in StorageArea.values:
        raise ValidationFailed(fields={"area": ["Choose staging or archive."]})
    if scope == QuotaScope.FACILITY:
        return get_account(facility=facility, scope=scope, area=area)
    if scope == QuotaScope.GROUP:
        group = ResearchGroup.objects.filter(facility=facility, pk=group_id or 0).first()
        if group is None:
            raise NotFound("No such group in this facility.")
        return get_account(facility=facility, scope=scope, area=area, group=group)
    if scope == QuotaScope.USER:
        membership = Membership.objects.filter(facility=facility, user_id=user_id or 0).first()
        if membership is None:
            raise NotFound("No such member of this facility.")
        return get_account(facility=facility, scope=scope, area=area, user=membership.user)
    raise ValidationFailed(fields={"scope": ["Choose facility, group or user."]})


def _check_limits(soft: int | None, hard: int | None) -> None:
    problems: dict[str, list[str]] = {}
    for name, value in (("soft_limit", soft), ("hard_limit", hard)):
        if value is not None and not 0 <= value <= MAX_LIMIT:
            problems[name] = ["Give a size of 0 bytes or more."]
    if not problems and soft is not None and hard is not None and soft > hard:
        problems["soft_limit"] = ["The soft limit (a warning) must not be above the hard limit."]
    if problems:
        raise ValidationFailed(fields=problems)


def set_limits(
    *, admin: User, account: QuotaAccount, soft_limit: int | None, hard_limit: int | None
) -> QuotaAccount:
    """Set both limits of an account (None = no limit at this level).

    A limit may be set below what is already stored: nothing is deleted, new uploads are
    refused until usage falls under it.
    """
    require_admin(user=admin, facility=account.facility)
    _check_limits(soft_limit, hard_limit)
    with transaction.atomic():
        locked = (
            QuotaAccount.objects.select_for_update(of=("self",))
            .select_related("facility", "group", "user")
            .get(pk=account.pk)
        )
        before = (locked.soft_limit, locked.hard_limit)
        if before == (soft_limit, hard_limit):
            return locked
        locked.soft_limit, locked.hard_limit = soft_limit, hard_limit
        locked.save(update_fields=["soft_limit", "hard_limit", "updated_at"])
        record_audit(
            facility=locked.facility,
            actor=admin,
            kind="quota.changed",
            summary=f"{locked.get_scope_display()} {locked.subject_label}, "
            f"{locked.get_area_display()}: soft {_limit_text(before[0])} → "
            f"{_limit_text(soft_limit)}, hard {_limit_text(before[1])} → {_limit_text(hard_limit)}",
            data={
                "account": locked.pk,
                "scope": locked.scope,
                "area": locked.area,
                "subject": locked.subject_label,
                "before": {"soft_limit": before[0], "hard_limit": before[1]},
                "after": {"soft_limit": soft_limit, "hard_limit": hard_limit},
                "usage_bytes": locked.total_bytes,
            },
        )
    return locked


def request_increase(
    *, user: User, facility: Facility, scope: str, area: str, requested_hard_limit: int, reason: str
) -> QuotaIncreaseRequest:
    """A researcher asks for more room for themselves or their group."""
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None:
        raise NotFound("No such facility.")
    if scope == QuotaScope.GROUP and membership.group_id is None:
        raise ValidationFailed(fields={"scope": ["You are not in a group of this facility."]})
    if scope not in (QuotaScope.USER, QuotaScope.GROUP):
        raise ValidationFailed(fields={"scope": ["Ask for your own or your group's quota."]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Say what the space is for."]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(fields={"reason": [f"Keep it under {MAX_REASON} characters."]})
    account = account_for(
        facility=facility,
        scope=scope,
        area=area,
        group_id=membership.group_id,
        user_id=user.pk,
    )
    _check_limits(None, requested_hard_limit)
    if account.hard_limit is not None and requested_hard_limit <= account.hard_limit:
        raise ValidationFailed(
            fields={
                "requested_hard_limit": [
                    f"Ask for more than the current limit of {format_bytes(account.hard_limit)}."
                ]
            }
        )
    try:
        with transaction.atomic():
            request = QuotaIncreaseRequest.objects.create(
                facility=facility,
                requester=user,
                account=account,
                current_hard_limit=account.hard_limit,
                requested_hard_limit=requested_hard_limit,
                reason=reason,
            )
            record_audit(
                facility=facility,
                actor=user,
                kind="quota_request.filed",
                summary=f"{user.email} asks {format_bytes(requested_hard_limit)} for "
                f"{account.subject_label} ({account.get_area_display()})",
                data={"request": request.pk},
            )
            dispatch.quota_request_mail(request_id=request.pk)
    except IntegrityError:
        raise InvalidTransition(
            "There is already a pending request for this quota; wait for the decision."
        ) from None
    return request


def decide_request(
    *, admin: User, request: QuotaIncreaseRequest, approve: bool, note: str = ""
) -> QuotaIncreaseRequest:
    """Approve (the hard limit becomes the requested one) or deny. A second click gets 409."""
    require_admin(user=admin, facility=request.facility)
    with transaction.atomic():
        locked = (
            QuotaIncreaseRequest.objects.select_for_update(of=("self",))
            .select_related("account", "facility", "requester")
            .get(pk=request.pk)
        )
        if locked.status != RequestStatus.PENDING:
            raise InvalidTransition(f"This request was already {locked.get_status_display()}.")
        if approve:
            account = locked.account
            soft = account.soft_limit
            set_limits(
                admin=admin,
                account=account,
                soft_limit=soft if soft is None or soft <= locked.requested_hard_limit else None,
                hard_limit=locked.requested_hard_limit,
            )
        locked.status = RequestStatus.APPROVED if approve else RequestStatus.DENIED
        locked.decided_by = admin
        locked.decided_at = timezone.now()
        locked.decision_note = (note or "").strip()[:MAX_REASON]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_audit(
            facility=locked.facility,
            actor=admin,
            kind=f"quota_request.{locked.status}",
            summary=f"{locked.get_status_display()} {locked.requester.email}'s request for "
            f"{format_bytes(locked.requested_hard_limit)}",
            data={"request": locked.pk, "note": locked.decision_note},
        )
        dispatch.quota_request_mail(request_id=locked.pk)
    return locked


def withdraw_request(*, user: User, request: QuotaIncreaseRequest) -> QuotaIncreaseRequest:
    if request.requester_id != user.pk:
        raise NotFound("No such request.")
    updated = QuotaIncreaseRequest.objects.filter(
        pk=request.pk, status=RequestStatus.PENDING
    ).update(status=RequestStatus.WITHDRAWN, decided_at=timezone.now())
    if not updated:
        raise InvalidTransition("This request has already been decided.")
    request.refresh_from_db()
    return request
