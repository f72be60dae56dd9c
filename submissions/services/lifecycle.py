"""The submission lifecycle. The only code that changes Submission.status.

draft -> submitted -> in_review -> approved -> processing -> published
            ^            |   \\                     |
            +-- changes_requested <-+  -> rejected  -> processing_failed -> processing (retry)
draft / changes_requested -> withdrawn

Every change happens inside a transaction after `select_for_update()` and a check of the
current status, and writes a SubmissionEvent. A repeated request (a double click) meets the
new status and is refused with InvalidTransition (409), so nothing happens twice.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from submissions.models import Submission, SubmissionEvent, SubmissionStatus, User
from submissions.services.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from submissions.services.permissions import can_curate, can_edit

S = SubmissionStatus

ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.REJECTED},
    S.IN_REVIEW: {S.CHANGES_REQUESTED, S.APPROVED, S.REJECTED},
    S.CHANGES_REQUESTED: {S.SUBMITTED, S.WITHDRAWN},
    S.APPROVED: {S.PROCESSING},
    S.PROCESSING: {S.PUBLISHED, S.PROCESSING_FAILED},
    S.PROCESSING_FAILED: {S.PROCESSING},
    S.REJECTED: set(),
    S.PUBLISHED: set(),
    S.WITHDRAWN: set(),
}

EDITABLE_STATUSES = frozenset({S.DRAFT, S.CHANGES_REQUESTED})

TransitionHook = Callable[[Submission, str, str], None]

# Hooks other services register to run after a transition commits (mail, processing).
_after_commit_hooks: list[TransitionHook] = []
# Hooks that must succeed or fail with the transition itself (the review snapshot at submit):
# they run inside its transaction, on the locked row, after the event is written.
_in_transaction_hooks: list[TransitionHook] = []


def on_transition(hook: TransitionHook, *, in_transaction: bool = False) -> None:
    """Register `hook(submission, from_status, to_status)`; registering twice is a no-op."""
    hooks = _in_transaction_hooks if in_transaction else _after_commit_hooks
    if hook not in hooks:
        hooks.append(hook)


def record_event(
    *,
    submission: Submission,
    actor: User | None,
    kind: str,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
) -> SubmissionEvent:
    return SubmissionEvent.objects.create(
        submission=submission,
        actor=actor,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=to_status,
    )


def transition(
    *,
    submission: Submission,
    to: str,
    actor: User | None,
    note: str = "",
    check: Callable[[Submission], None] | None = None,
) -> Submission:
    """Move a submission to `to`, locking its row first; `check` runs on the locked row."""
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if to not in ALLOWED[locked.status]:
            raise InvalidTransition(
                f"A submission that is {locked.get_status_display().lower()} cannot become "
                f"{SubmissionStatus(to).label.lower()}."
            )
        if check is not None:
            check(locked)
        from_status = locked.status
        now = timezone.now()
        locked.status = to
        locked.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        if to == S.SUBMITTED:
            locked.submitted_at = now
            fields.append("submitted_at")
        locked.save(update_fields=fields)
        record_event(
            submission=locked,
            actor=actor,
            kind="status",
            note=note,
            from_status=from_status,
            to_status=to,
        )
        for hook in _in_transaction_hooks:
            hook(locked, from_status, to)
        for hook in _after_commit_hooks:
            transaction.on_commit(lambda h=hook: h(locked, from_status, to))  # type: ignore[misc]
    submission.refresh_from_db()
    return locked


def require_owner(*, user: User, submission: Submission) -> None:
    if not can_edit(user=user, submission=submission):
        raise PermissionDenied("Only the submitter can do this.")


def require_curator(*, user: User, submission: Submission) -> None:
    if not can_curate(user=user, submission=submission):
        raise PermissionDenied("Only a curator of this facility can do this.")


def withdraw(*, submission: Submission, user: User, note: str = "") -> Submission:
    require_owner(user=user, submission=submission)
    return transition(submission=submission, to=S.WITHDRAWN, actor=user, note=note)


def start_review(*, submission: Submission, curator: User) -> Submission:
    require_curator(user=curator, submission=submission)
    return transition(submission=submission, to=S.IN_REVIEW, actor=curator)


def approve(*, submission: Submission, curator: User, note: str = "") -> Submission:
    require_curator(user=curator, submission=submission)
    return transition(submission=submission, to=S.APPROVED, actor=curator, note=note)


def reject(*, submission: Submission, curator: User, reason: str) -> Submission:
    require_curator(user=curator, submission=submission)
    if not reason.strip():
        raise ValidationFailed(
            "A rejection needs a reason.", fields={"reason": ["Say why it is rejected."]}
        )
    return transition(submission=submission, to=S.REJECTED, actor=curator, note=reason)


# Requesting changes records field-by-field points: submissions.services.review.request_changes.
