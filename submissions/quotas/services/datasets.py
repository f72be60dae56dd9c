"""What a dataset's life does to the ledger, called by the steps that move it along.

- approval: `reserve_archive` holds the archive bytes of the converted output, estimated from
  the inspected dimensions (services/estimate.py). An archive hard limit refuses the approval
  here, with a message the curator can act on.
- publication: `archived_bytes` lists what the archive holds under the dataset's prefix (no
  lock, no transaction: it is I/O), then `record_publication`, inside the transaction that
  makes the dataset published, settles the archive hold with exactly that and frees the
  staging bytes of its uploads (unless the facility keeps them, or the archive keeps no
  originals, which leaves the uploads their only copy). The staged objects are deleted after
  commit.
- deleting a draft: `free_files` gives back every byte its files held or used.

Each of these is one small call in the step's own body, so the step says what it costs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from submissions.core import keys, storage
from submissions.core.errors import QuotaExceeded
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission
from submissions.quotas.models import (
    QuotaAccount,
    QuotaReservation,
    ReservationState,
    StorageArea,
)
from submissions.quotas.services import ledger
from submissions.quotas.services.estimate import estimate_submission_archive_bytes
from submissions.quotas.services.limits import accounts_for, limit_refusal
from submissions.uploads.models import DataFile

log = logging.getLogger(__name__)


def reserve_archive(*, submission: Submission) -> QuotaReservation:
    """Hold the archive bytes of `submission`'s converted dataset (idempotent).

    Raises QuotaExceeded naming the limit that refuses, worded for the curator approving.
    """
    try:
        return ledger.reserve_for_conversion(submission=submission)
    except QuotaExceeded as refusal:
        raise QuotaExceeded(_archive_refusal(submission)) from refusal


def archive_refusal(*, submission: Submission) -> str:
    """Why `reserve_archive` would refuse now ("" if it would not), read without a lock or a
    hold, so the review page can say so before the curator presses Approve."""
    held = QuotaReservation.objects.filter(submission=submission, area=StorageArea.ARCHIVE)
    if held.exclude(state=ReservationState.RELEASED).exists():
        return ""
    needed = estimate_submission_archive_bytes(submission=submission)
    accounts = _archive_accounts(submission)
    if limit_refusal(accounts, needed, StorageArea.ARCHIVE) is None:
        return ""
    return _archive_refusal(submission, needed=needed, accounts=accounts)


def _archive_accounts(submission: Submission) -> list[QuotaAccount]:
    return accounts_for(
        facility=submission.facility,
        group=submission.group,
        user=submission.owner,
        area=StorageArea.ARCHIVE,
    )


def _archive_refusal(
    submission: Submission,
    *,
    needed: int | None = None,
    accounts: list[QuotaAccount] | None = None,
) -> str:
    if needed is None:
        needed = estimate_submission_archive_bytes(submission=submission)
    if accounts is None:
        accounts = _archive_accounts(submission)
    limited = [a for a in accounts if a.hard_limit is not None]
    tightest = min(limited, key=lambda a: (a.hard_limit or 0) - a.total_bytes)
    left = max(0, (tightest.hard_limit or 0) - tightest.total_bytes)
    whose = {
        "user": f"{submission.owner.display_name}'s archive quota",
        "group": f"the archive quota of the group {tightest.subject_label}",
        "facility": f"the archive quota of {submission.facility.name}",
    }[tightest.scope]
    return (
        f"Not approved: once converted, this dataset needs about {format_bytes(needed)} in "
        f"the archive, but {whose} has {format_bytes(left)} left (limit "
        f"{format_bytes(tightest.hard_limit or 0)}). A facility administrator can raise the "
        "limit on the facility's quota page; then approve again."
    )


def archived_bytes(*, accession: str) -> int:
    """Everything the archive holds for a dataset, as stored (OME-Zarr, originals,
    thumbnails, manifest and marker)."""
    return sum(
        storage.list_tree(storage=storage.archive(), prefix=keys.dataset_prefix(accession)).values()
    )


def record_publication(*, submission: Submission, archived: int) -> None:
    """In the transaction that publishes: the archive counts `archived` bytes, and the
    staging copies of the uploads are freed (deleted after commit) unless the facility keeps
    them."""
    held = QuotaReservation.objects.filter(
        submission=submission, area=StorageArea.ARCHIVE, state=ReservationState.HELD
    ).first()
    if held is not None:
        ledger.settle(reservation=held, actual_bytes=archived)
    else:  # approved before archive reservations existed: count what is there
        ledger.record_usage(
            user=submission.owner,
            facility=submission.facility,
            group=submission.group,
            nbytes=archived,
            submission=submission,
            area=StorageArea.ARCHIVE,
        )
    if submission.facility.keep_staging_after_publication or not settings.ARCHIVE_KEEP_ORIGINALS:
        return  # kept by choice, or the staged uploads are the only copy of the originals
    files = list(submission.files.select_related("reservation"))
    free_files(files)
    staged = [f.storage_key for f in files]
    transaction.on_commit(lambda: delete_staged(staged))


def free_files(files: Iterable[DataFile]) -> int:
    """Give back the staging bytes `files` hold (uploads in flight) or use (stored).
    Returns the bytes freed from usage."""
    freed = 0
    for data_file in files:
        reservation = data_file.reservation
        if reservation is None:
            continue
        if reservation.state == ReservationState.HELD:
            ledger.release(reservation=reservation)
        elif reservation.state == ReservationState.SETTLED:
            freed += ledger.free(reservation=reservation)
    return freed


def delete_staged(storage_keys: list[str]) -> None:
    """Delete staged uploads whose bytes the ledger no longer counts. A failure is logged:
    the nightly reconciliation finds objects the ledger says are gone and deletes them."""
    try:
        storage.delete_keys(storage=storage.staging(), keys=storage_keys)
    except Exception:
        log.exception("could not delete %d staged uploads", len(storage_keys))
