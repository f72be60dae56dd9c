from __future__ import annotations

from celery import shared_task


@shared_task(
    name="submissions.tasks.uploads.verify_upload",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=24 * 3600,
)
def verify_upload(file_id: str) -> str:
    from submissions.services.uploads import verify_upload as verify

    return verify(file_id=file_id)


@shared_task(name="submissions.tasks.uploads.expire_stale_uploads")
def expire_stale_uploads() -> int:
    """Hourly: abort inactive uploads, and re-enqueue verifications whose message was lost."""
    from submissions.services.uploads import expire_stale_uploads as expire
    from submissions.services.uploads import stalled_verifications

    for file_id in stalled_verifications():
        verify_upload.delay(file_id)
    return expire()
