"""Starting background work: the one way a service enqueues a task.

Tasks import services; services never import a tasks module (that would be a cycle), they call
one of these functions instead. Each sends one task by its name, with ids only, once the
current transaction commits, so a worker never looks for a row that is not there yet and
nothing is enqueued for a change that rolled back. The database stays the truth: a lost
message delays work until a sweeper re-sends it, never loses it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string


def enqueue(task: str, /, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Send the task named `task` (its dotted import path) with `kwargs` after commit."""

    def send() -> None:
        import_string(task).apply_async(kwargs=kwargs, countdown=countdown or None)

    transaction.on_commit(send)


# --- uploads --------------------------------------------------------------------------------


def verify_upload(*, file_id: Any) -> None:
    enqueue("submissions.uploads.tasks.verify_upload", file_id=str(file_id))


# --- processing -----------------------------------------------------------------------------


def inspect_file(*, file_id: Any) -> None:
    enqueue("submissions.processing.tasks.inspect_file", file_id=str(file_id))


def start_review_copies(*, submission_id: Any) -> None:
    """Convert a submitted dataset's images into review copies (before any decision)."""
    enqueue("submissions.processing.tasks.start_review_copies", submission_id=str(submission_id))


def clean_up_review_copies(*, submission_id: Any) -> None:
    """Delete the review copies of a rejected, withdrawn or published submission."""
    enqueue("submissions.processing.tasks.clean_up_review_copies", submission_id=str(submission_id))


def start_processing(*, submission_id: Any) -> None:
    enqueue("submissions.processing.tasks.start_processing", submission_id=str(submission_id))


def convert_file(*, job_id: Any, countdown: float = 0) -> None:
    enqueue("submissions.processing.tasks.convert_file", countdown=countdown, job_id=str(job_id))


# --- publication ----------------------------------------------------------------------------


def publish_dataset(*, submission_id: Any, countdown: float = 0) -> None:
    enqueue(
        "submissions.publication.tasks.publish_dataset",
        countdown=countdown,
        submission_id=str(submission_id),
    )


def sync_doi(*, submission_id: Any, countdown: float = 0) -> None:
    """Bring the dataset's DOI at the registration agency in line (a no-op without one)."""
    enqueue(
        "submissions.publication.tasks.sync_doi",
        countdown=countdown,
        submission_id=str(submission_id),
    )


# --- notifications --------------------------------------------------------------------------


def submission_mail(
    *, submission_id: Any, kind: str, key: str | None = None, note: str = ""
) -> None:
    """Mail about a submission (`kind` is a NotificationKind); without `key`, the trigger is
    the submission's latest change to that state."""
    enqueue(
        "submissions.notifications.tasks.send_submission_mail",
        submission_id=str(submission_id),
        kind=kind,
        key=key,
        note=note,
    )


def comment_mail(*, comment_id: int) -> None:
    enqueue("submissions.notifications.tasks.send_comment_mail", comment_id=comment_id)


def soft_limit_mail(*, account_id: int, user_id: int, key: str) -> None:
    """A quota account passed its soft limit; `key` names the change that crossed it."""
    enqueue(
        "submissions.notifications.tasks.send_soft_limit_mail",
        account_id=account_id,
        user_id=user_id,
        key=key,
    )


def invitation_mail(*, invitation_id: int) -> None:
    enqueue("submissions.notifications.tasks.send_invitation_mail", invitation_id=invitation_id)


def quota_request_mail(*, request_id: int) -> None:
    """Mail about a quota-increase request: to the admins when filed, else to the requester."""
    enqueue("submissions.notifications.tasks.send_quota_request_mail", request_id=request_id)
