"""Mail tasks (queue "default")."""

from __future__ import annotations

from celery import shared_task

# SMTP hiccups are worth a retry; template or data errors are not.
TRANSIENT = (OSError, ConnectionError, TimeoutError)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    name="submissions.tasks.send_submission_mail",
)
def send_submission_mail(
    *, submission_id: str, kind: str, key: str | None = None, note: str = ""
) -> int:
    from submissions.services import notifications

    return notifications.deliver(submission_id=submission_id, kind=kind, key=key, note=note)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    name="submissions.tasks.send_comment_mail",
)
def send_comment_mail(*, comment_id: int) -> int:
    from submissions.services import comment_mail

    return comment_mail.deliver(comment_id=comment_id)


@shared_task(soft_time_limit=600, name="submissions.tasks.send_daily_digest")
def send_daily_digest() -> int:
    from submissions.services import notifications

    return notifications.send_daily_digest()
