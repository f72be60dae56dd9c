"""Quota tasks: daily usage snapshots and the sweep of expired reservations."""

from __future__ import annotations

from celery import shared_task

from submissions.quotas.services import ledger, reports


@shared_task(soft_time_limit=600)
def snapshot_usage() -> int:
    return reports.take_snapshots()


@shared_task(soft_time_limit=600)
def release_expired_reservations() -> int:
    return ledger.release_expired()
