"""Taking a published dataset down: its files are no longer served, and its landing page stays
as a tombstone (accession, title, citation, reason, date), as do its DOI and OAI-PMH record,
which say it was withdrawn. `lifecycle.transition` makes the status change
(published -> tombstoned); nothing here touches the status otherwise.

The archive's objects are kept (a takedown can be a mistake, and fixity audits still run);
removing the bytes for good is an operator's decision outside Aperture.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import User
from submissions.core import dispatch
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.publication.models import Publication
from submissions.publication.services.release import _reason


def tombstone(*, submission: Submission, curator: User, reason: str) -> Submission:
    """A curator or facility admin withdraws a published dataset, with a reason shown to all."""
    lifecycle.require_curator(user=curator, submission=submission)
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        locked = lifecycle.transition(
            submission=submission,
            to=SubmissionStatus.TOMBSTONED,
            actor=curator,
            note=f"Withdrawn from publication: {reason}",
        )
        Publication.objects.filter(submission=locked).update(
            tombstoned_at=now, tombstone_reason=reason, record_updated_at=now
        )
        dispatch.sync_doi(submission_id=locked.pk)
    return locked
