"""Upload tasks: whole-file verification after completion, and the sweep of uploads that
never started or went idle (which also re-sends verifications whose message was lost)."""

from __future__ import annotations

from celery import shared_task

from submissions.core import dispatch
from submissions.uploads import services
from submissions.uploads.services import retention


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, soft_time_limit=24 * 3600)
def verify_upload(*, file_id: str) -> str:
    return services.verify_upload(file_id=file_id)


@shared_task
def expire_stale_uploads() -> int:
    """Every 15 minutes: abort uploads that never received a byte or went idle (freeing
    their reservations), delete stray temporary parts, and re-enqueue verifications whose
    message was lost."""
    for file_id in services.stalled_verifications():
        dispatch.verify_upload(file_id=file_id)
    services.sweep_temporary_parts()
    return services.expire_empty_uploads() + services.expire_stale_uploads()


@shared_task(soft_time_limit=3600)
def purge_terminal_uploads() -> int:
    """Daily: delete the uploads of rejected and withdrawn submissions whose retention period
    has passed, freeing their staging quota (uploads.services.retention). A submission whose
    storage fails is left for the next run."""
    return len(retention.purge_due())
