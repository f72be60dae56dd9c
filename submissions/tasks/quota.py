"""Quota tasks: mail, daily usage snapshots and the sweep of expired reservations."""

from __future__ import annotations

from celery import shared_task

_MAIL = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**_MAIL)
def send_soft_limit_warning(account_id: int, user_id: int) -> None:
    from submissions.services import quota_notify

    quota_notify.soft_limit_warning(account_id=account_id, user_id=user_id)


@shared_task(**_MAIL)
def send_invitation(invitation_id: int) -> None:
    from submissions.services import quota_notify

    quota_notify.invitation(invitation_id=invitation_id)


@shared_task(**_MAIL)
def send_increase_request_filed(request_id: int) -> None:
    from submissions.services import quota_notify

    quota_notify.increase_request_filed(request_id=request_id)


@shared_task(**_MAIL)
def send_increase_request_decided(request_id: int) -> None:
    from submissions.services import quota_notify

    quota_notify.increase_request_decided(request_id=request_id)


@shared_task(soft_time_limit=600)
def snapshot_usage() -> int:
    from submissions.services import usage_reports

    return usage_reports.take_snapshots()


@shared_task(soft_time_limit=600)
def release_expired_reservations() -> int:
    from submissions.services import quota

    return quota.release_expired()
