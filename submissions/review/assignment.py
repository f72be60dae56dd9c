"""Who reviews a submission: a curator claims it, or hands it to a colleague (or to nobody).

`claim` and `assign` check permissions themselves and change the assignee under a row lock,
each change written to the timeline; claiming a waiting submission also starts its review.
(Also importable from `review.services`, where they lived first.)
"""

from __future__ import annotations

from django.db import transaction

from submissions.accounts.models import User
from submissions.accounts.permissions import is_curator
from submissions.core.errors import InvalidTransition, PortalError, ValidationFailed
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus

S = SubmissionStatus
ASSIGNABLE_STATUSES = frozenset({S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED})


class AlreadyClaimed(PortalError):
    http_status = 409
    code = "already_claimed"
    default_message = "Another curator has already claimed this submission."


def claim(*, submission: Submission, curator: User) -> Submission:
    """Take the review: assign it to yourself and, if it was waiting, start it.

    Claiming what you already hold changes nothing; what a colleague holds is refused
    (AlreadyClaimed) — they can hand it over with `assign`.
    """
    lifecycle.require_curator(user=curator, submission=submission)
    with transaction.atomic():
        locked = _locked_assignable(submission)
        if locked.assignee_id not in (None, curator.pk):
            holder = locked.assignee.display_name if locked.assignee else "A curator"
            raise AlreadyClaimed(f"{holder} has already claimed this submission.")
        if locked.assignee_id is None:
            _set_assignee(locked, assignee=curator, actor=curator)
        if locked.status == S.SUBMITTED:
            locked = lifecycle.transition(submission=locked, to=S.IN_REVIEW, actor=curator)
    submission.refresh_from_db()
    return submission


def assign(*, submission: Submission, curator: User, assignee: User | None) -> Submission:
    """Give the review to a curator of the facility (or to nobody with `assignee=None`)."""
    lifecycle.require_curator(user=curator, submission=submission)
    if assignee is not None and not is_curator(user=assignee, facility=submission.facility_id):
        raise ValidationFailed(
            "Only a curator of this facility can be assigned.",
            fields={"assignee": [f"{assignee.display_name} is not a curator here."]},
        )
    with transaction.atomic():
        locked = _locked_assignable(submission)
        if locked.assignee_id != (assignee.pk if assignee else None):
            _set_assignee(locked, assignee=assignee, actor=curator)
    submission.refresh_from_db()
    return submission


def _locked_assignable(submission: Submission) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status not in ASSIGNABLE_STATUSES:
        raise InvalidTransition(
            f"A submission that is {locked.get_status_display().lower()} has no review to assign."
        )
    return locked


def _set_assignee(locked: Submission, *, assignee: User | None, actor: User) -> None:
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    if assignee is None:
        note = "Unassigned."
    elif assignee.pk == actor.pk:
        note = f"Claimed by {actor.display_name}."
    else:
        note = f"Assigned to {assignee.display_name}."
    lifecycle.record_event(submission=locked, actor=actor, kind="assigned", note=note)
