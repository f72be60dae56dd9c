"""Whether a submission holds a failed file, kept on its row (`Submission.has_failed_files`).

The review queue filters on it ("has failures") for a facility's whole archive; reading one
column of the submission, indexed, costs the same at 1,000 submissions as at 100,000, where
looking through every file of the facility did not.

Every change to which of a submission's files are failed calls `refresh` in the same
transaction (a file failing its checks: uploads.services.fixity, processing.inspection; a
failed file removed: uploads.services.removal). The flag is recomputed from the files rather
than counted up and down, so a missed call is mended by the next one.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Exists, OuterRef

from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus


def failed_files() -> Exists:
    """True for a submission with a failed file (what the flag holds)."""
    return Exists(DataFile.objects.filter(submission=OuterRef("pk"), status=FileStatus.FAILED))


def refresh(*, submission_id: uuid.UUID | str) -> None:
    """Set the submission's flag from its files.

    The submission row is locked before the files are read: a transaction changing another
    of its files, and refreshing too, has then committed (or waits for this one), so the last
    writer always sees the other's change and the flag never ends stale.
    """
    with transaction.atomic():
        if not Submission.objects.select_for_update().filter(pk=submission_id).exists():
            return  # deleted with its files
        failed = DataFile.objects.filter(
            submission_id=submission_id, status=FileStatus.FAILED
        ).exists()
        # update(), not save(): the queue's "recently updated" order is about people's changes.
        Submission.objects.filter(pk=submission_id).update(has_failed_files=failed)
