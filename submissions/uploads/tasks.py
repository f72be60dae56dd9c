"""Upload tasks: whole-file verification after completion, and the hourly sweep of stale
uploads (which also re-sends verifications whose message was lost)."""

from __future__ import annotations

from celery import shared_task

from submissions.core import dispatch
from submissions.uploads import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, soft_time_limit=24 * 3600)
def verify_upload(*, file_id: str) -> str:
    return services.verify_upload(file_id=file_id)


@shared_task
def expire_stale_uploads() -> int:
    """Hourly: abort inactive uploads, and re-enqueue verifications whose message was lost."""
    for file_id in services.stalled_verifications():
        dispatch.verify_upload(file_id=file_id)
    return services.expire_stale_uploads()
