"""Publication task: once every conversion job succeeded, write originals, manifest and the
marker, then publish (idempotent, claimed with a conditional update)."""

from __future__ import annotations

from celery import shared_task

from submissions.publication import services


@shared_task(soft_time_limit=6 * 3600)
def publish_dataset(*, submission_id: str) -> None:
    services.publish_dataset(submission_id=submission_id)
