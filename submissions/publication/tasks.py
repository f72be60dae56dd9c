"""Publication tasks: publishing to the archive, releasing datasets whose embargo ended,
keeping DOIs in step with the registration agency, and the weekly fixity audit. Each is
idempotent (claimed with a conditional update, or an upsert at the agency)."""

from __future__ import annotations

from celery import shared_task

from submissions.publication.services import doi, fixity, publish, release


@shared_task(soft_time_limit=6 * 3600)
def publish_dataset(*, submission_id: str) -> None:
    publish.publish_dataset(submission_id=submission_id)


@shared_task(soft_time_limit=600)
def release_due_datasets() -> int:
    return release.release_due_datasets()


@shared_task(soft_time_limit=120)
def sync_doi(*, submission_id: str) -> str:
    # Failures are not raised: sync records them and re-sends itself with backoff.
    return doi.sync(submission_id=submission_id)


@shared_task(soft_time_limit=120)
def sync_due_dois() -> int:
    return doi.sync_due()


@shared_task(soft_time_limit=7 * 24 * 3600)
def audit_fixity() -> int:
    """Weekly: re-hash the archive against the manifests; returns the datasets with problems."""
    return sum(not result.clean for result in fixity.audit_archive())
