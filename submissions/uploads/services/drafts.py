"""Deleting a draft: the draft, its description and every file it holds go at once. (Here,
in uploads, because files and their quota are below lifecycle in the layers.)

Nobody but its owner has seen a draft, so it can go whole: its files' quota is given back in
the same transaction (held uploads released, stored bytes freed), and the staged objects,
previews and unfinished S3 multipart uploads are deleted after commit. What a delete misses
(a part still being written) the nightly ledger reconciliation removes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from submissions.accounts.models import User
from submissions.core import keys, storage
from submissions.core.errors import InvalidTransition
from submissions.core.units import format_bytes
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.quotas.services import datasets as quota_datasets
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services.backends import staging_backend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftContents:
    """What deleting a draft takes with it (files that hold or are receiving bytes)."""

    files: int
    nbytes: int

    def sentence(self) -> str:
        if not self.files:
            return "It has no files."
        noun = "file" if self.files == 1 else "files"
        return f"Its {self.files} {noun} ({format_bytes(self.nbytes)}) will be deleted too."


def draft_contents(*, submission: Submission) -> DraftContents:
    files = submission.files.exclude(status=FileStatus.ABORTED)
    total = files.aggregate(n=Sum("size"))["n"] or 0
    return DraftContents(files=files.count(), nbytes=int(total))


def delete_draft(*, submission: Submission, user: User) -> DraftContents:
    """Delete a draft with its files; returns what went. Only its owner may, only a draft."""
    lifecycle.require_owner(user=user, submission=submission)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != SubmissionStatus.DRAFT:
            raise InvalidTransition("Only a draft can be deleted; withdraw it instead.")
        lifecycle.require_not_frozen(submission=locked)
        # Locked, so an upload completing now waits and then finds its file gone.
        files = list(
            DataFile.objects.select_for_update(of=("self",))
            .select_related("reservation")
            .filter(submission=locked)
        )
        contents = draft_contents(submission=locked)
        quota_datasets.free_files(files)
        locked.delete()
        transaction.on_commit(lambda: _delete_bytes(files, submission_id=str(submission.pk)))
    return contents


def _delete_bytes(files: list[DataFile], *, submission_id: str) -> None:
    backend = staging_backend()
    previews = []
    for data_file in files:
        previews.append(keys.preview_key(submission_id=submission_id, file_id=data_file.pk))
        if data_file.status == FileStatus.ABORTED:
            continue
        try:
            backend.discard(datafile=data_file)
        except Exception:  # reconciliation deletes what no file row explains
            log.exception("could not delete the bytes of %s", data_file.storage_key)
    try:
        storage.delete_keys(storage=storage.staging(), keys=previews)
    except Exception:
        log.exception("could not delete the previews of draft %s", submission_id)
