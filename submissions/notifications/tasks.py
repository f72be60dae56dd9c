"""Mail tasks (queue "default"). SMTP hiccups are retried; each message is still sent once
(the notifications service records it before sending)."""

from __future__ import annotations

from celery import shared_task

from submissions.notifications.services import comment_mail, quota_mail, submission_mail

# SMTP hiccups are worth a retry; template or data errors are not.
MAIL = {
    "autoretry_for": (OSError, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
    "soft_time_limit": 60,
}


@shared_task(**MAIL)
def send_submission_mail(
    *, submission_id: str, kind: str, key: str | None = None, note: str = ""
) -> int:
    return submission_mail.deliver(submission_id=submission_id, kind=kind, key=key, note=note)


@shared_task(**MAIL)
def send_comment_mail(*, comment_id: int) -> int:
    return comment_mail.deliver(comment_id=comment_id)


@shared_task(**MAIL)
def send_soft_limit_mail(*, account_id: int, user_id: int, key: str) -> int:
    return quota_mail.soft_limit_warning(account_id=account_id, user_id=user_id, key=key)


@shared_task(**MAIL)
def send_quota_request_mail(*, request_id: int) -> int:
    return quota_mail.quota_request(request_id=request_id)


@shared_task(**MAIL)
def send_invitation_mail(*, invitation_id: int) -> int:
    return quota_mail.invitation(invitation_id=invitation_id)


@shared_task(soft_time_limit=600)
def send_daily_digest() -> int:
    return submission_mail.send_daily_digest()
