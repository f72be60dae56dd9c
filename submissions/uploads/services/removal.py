"""Taking a file back out of a submission that is still being prepared.

A researcher who uploaded the wrong file removes it: its staged bytes and preview are
deleted, the quota it used is freed, and the timeline keeps a line naming it (with its
checksum), so the review diff and the audit trail still say what was there.
"""

from __future__ import annotations

import logging

from django.db import transaction

from submissions.accounts.models import User
from submissions.accounts.permissions import can_edit
from submissions.core import keys, storage
from submissions.core.errors import InvalidTransition, NotFound
from submissions.lifecycle import services as lifecycle
from submissions.quotas.models import ReservationState
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import failures
from submissions.uploads.services.backends import staging_backend

log = logging.getLogger(__name__)


def remove_file(*, datafile: DataFile, user: User) -> bool:
    """Remove a file from a draft or a submission with changes requested.

    Returns False when the file was already gone (a double click); raises NotFound for a
    file the user may not change and InvalidTransition once the submission is under review.
    """
    with transaction.atomic():
        locked = (
            DataFile.objects.select_for_update(of=("self",))
            .select_related("submission", "reservation")
            .filter(pk=datafile.pk)
            .first()
        )
        if locked is None:
            return False
        submission = locked.submission
        if not can_edit(user=user, submission=submission):
            raise NotFound("No such file.")
        if submission.status not in lifecycle.EDITABLE_STATUSES:
            raise InvalidTransition(
                "Files can be removed only while the submission is a draft or has changes "
                "requested."
            )
        lifecycle.require_not_frozen(submission=submission)
        reservation = locked.reservation
        if reservation is not None and reservation.state == ReservationState.HELD:
            quota.release(reservation=reservation)
        elif reservation is not None and reservation.state == ReservationState.SETTLED:
            quota.free(reservation=reservation)
        detail = f" (SHA-256 {locked.sha256})" if locked.sha256 else ""
        lifecycle.record_event(
            submission=submission,
            actor=user,
            kind="file_removed",
            note=f"{locked.name}{detail}",
        )
        had_bytes = locked.status != FileStatus.ABORTED
        preview = keys.preview_key(
            submission_id=locked.submission_id, file_id=locked.pk
        )  # before delete(), which clears the primary key
        was_failed = locked.status == FileStatus.FAILED
        locked.delete()
        if was_failed:
            failures.refresh(submission_id=submission.pk)
        if had_bytes:
            transaction.on_commit(lambda: _delete_bytes(locked, preview))
    return True


def _delete_bytes(datafile: DataFile, preview: str) -> None:
    try:
        staging_backend().discard(datafile=datafile)
        storage.delete_keys(storage=storage.staging(), keys=[preview])
    except Exception:  # the bucket's lifecycle rule catches what this misses
        log.exception("could not delete the bytes of removed file %s", datafile.storage_key)
