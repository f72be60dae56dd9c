"""Quota tasks: daily usage snapshots, the sweep of expired reservations and the nightly
reconciliation of the ledger with storage."""

from __future__ import annotations

from celery import shared_task

from submissions.quotas.services import ledger, reconcile, reports


@shared_task(soft_time_limit=600)
def snapshot_usage() -> int:
    return reports.take_snapshots()


@shared_task(soft_time_limit=600)
def release_expired_reservations() -> int:
    return ledger.release_expired()


@shared_task(soft_time_limit=3 * 3600)
def reconcile_ledger() -> int:
    """Repair drift between the ledger and storage; returns how many differences it found."""
    return len(reconcile.reconcile(repair=True).drifts)
