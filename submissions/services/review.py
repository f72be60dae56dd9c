"""Curation decisions beyond lifecycle's approve/reject: claim, assign, request changes, talk.

Approve, reject and start_review live in `lifecycle`; this module adds what a review needs
around them. Every function checks permissions itself and changes state under a row lock, so
a double click meets the new state and does nothing twice.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from submissions.models import (
    ChangeRequest,
    ChangeRequestPoint,
    DataFile,
    ReviewComment,
    Submission,
    SubmissionSnapshot,
    SubmissionStatus,
    User,
)
from submissions.services import comment_mail, lifecycle
from submissions.services.exceptions import (
    InvalidTransition,
    PermissionDenied,
    PortalError,
    ValidationFailed,
)
from submissions.services.field_paths import require_valid_path, set_path
from submissions.services.permissions import can_curate, can_edit, is_curator

S = SubmissionStatus
ASSIGNABLE_STATUSES = frozenset({S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED})
MAX_MESSAGE = 20_000
MAX_POINTS = 100
MAX_VALUE_CHARS = 20_000


class AlreadyClaimed(PortalError):
    http_status = 409
    code = "already_claimed"
    default_message = "Another curator has already claimed this submission."


@dataclass(frozen=True)
class ChangePoint:
    """One point of a change request: about a field (dotted path), a file, or neither."""

    message: str
    field_path: str = ""
    file_id: str | None = None


# --- Assignment ---------------------------------------------------------------------------


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


# --- Change requests ---------------------------------------------------------------------


def request_changes(
    *,
    submission: Submission,
    curator: User,
    message: str,
    points: Sequence[ChangePoint] = (),
) -> ChangeRequest:
    """Send the submission back to its researcher with a message and field-by-field points."""
    lifecycle.require_curator(user=curator, submission=submission)
    message = message.strip()
    problems: dict[str, list[str]] = {}
    if not message:
        problems["message"] = ["Tell the researcher what to change."]
    elif len(message) > MAX_MESSAGE:
        problems["message"] = [f"Keep the message under {MAX_MESSAGE:,} characters."]
    if len(points) > MAX_POINTS:
        problems["points"] = [f"At most {MAX_POINTS} points in one request."]
    clean = [] if "points" in problems else _clean_points(submission, points, problems)
    if problems:
        raise ValidationFailed("The change request needs attention.", fields=problems)
    with transaction.atomic():
        locked = lifecycle.transition(
            submission=submission, to=S.CHANGES_REQUESTED, actor=curator, note=message
        )
        change_request = ChangeRequest.objects.create(
            submission=locked,
            curator=curator,
            message=message,
            event=locked.events.filter(kind="status").order_by("-created_at", "-id").first(),
        )
        ChangeRequestPoint.objects.bulk_create(
            ChangeRequestPoint(change_request=change_request, **point) for point in clean
        )
    submission.refresh_from_db()
    return change_request


def _clean_points(
    submission: Submission, points: Sequence[ChangePoint], problems: dict[str, list[str]]
) -> list[dict[str, Any]]:
    file_ids = {str(pk) for pk in submission.files.values_list("pk", flat=True)}
    clean: list[dict[str, Any]] = []
    for index, point in enumerate(points):
        text = point.message.strip()
        field_path = point.field_path.strip()
        file_id = str(point.file_id) if point.file_id else None
        if not text:
            problems[f"points.{index}.message"] = ["Say what should change."]
        elif len(text) > MAX_MESSAGE:
            problems[f"points.{index}.message"] = ["This point is too long."]
        if field_path:
            try:
                field_path = require_valid_path(field_path)
            except ValidationFailed as error:
                problems[f"points.{index}.field"] = error.fields["field"]
        if file_id and file_id not in file_ids:
            problems[f"points.{index}.file"] = ["This file is not part of the submission."]
        clean.append({"field_path": field_path, "file_id": file_id, "message": text})
    return clean


# --- The conversation ------------------------------------------------------------------


def add_comment(
    *,
    submission: Submission,
    author: User,
    body: str,
    field_path: str = "",
    file_id: str | None = None,
) -> ReviewComment:
    """A message from the researcher or a curator, optionally about one field or file."""
    if not (
        can_edit(user=author, submission=submission)
        or can_curate(user=author, submission=submission)
    ):
        raise PermissionDenied("Only the submitter and the facility's curators can comment.")
    body = body.strip()
    problems: dict[str, list[str]] = {}
    if not body:
        problems["body"] = ["Write a comment."]
    elif len(body) > MAX_MESSAGE:
        problems["body"] = [f"Keep comments under {MAX_MESSAGE:,} characters."]
    if field_path.strip():
        try:
            field_path = require_valid_path(field_path)
        except ValidationFailed as error:
            problems["field"] = error.fields["field"]
    file = None
    if file_id:
        uuid_text = _uuid_or_none(file_id)
        if uuid_text is not None:
            file = DataFile.objects.filter(submission=submission, pk=uuid_text).first()
        if file is None:
            problems["file"] = ["This file is not part of the submission."]
    if problems:
        raise ValidationFailed("The comment needs attention.", fields=problems)
    comment = ReviewComment.objects.create(
        submission=submission, author=author, body=body, field_path=field_path.strip(), file=file
    )
    lifecycle.record_event(submission=submission, actor=author, kind="comment", note=body[:200])
    comment_mail.notify_comment(comment=comment)
    return comment


def _uuid_or_none(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


# --- The researcher's answer -------------------------------------------------------------


def update_fields(*, submission: Submission, user: User, changes: dict[str, Any]) -> Submission:
    """Set REMBI values by dotted path (e.g. "study.authors.0.orcid"; "title" is the study
    title), then save through the REMBI service, which validates the whole document."""
    from submissions.services import submissions as submission_services

    problems: dict[str, list[str]] = {}
    metadata = copy.deepcopy(submission.metadata if isinstance(submission.metadata, dict) else {})
    for raw_path, value in changes.items():
        try:
            path = require_valid_path(raw_path)
        except ValidationFailed:
            problems[str(raw_path)[:80]] = ["Not a field path."]
            continue
        if path == "title":
            path = "study.title"
        if path == "study.title" and not (isinstance(value, str) and value.strip()):
            problems["title"] = ["The title cannot be empty."]
            continue
        metadata = set_path(metadata, path, value.strip() if isinstance(value, str) else value)
    if problems:
        raise ValidationFailed("Some fields need attention.", fields=problems)
    return submission_services.update_submission(
        submission=submission, user=user, metadata=metadata
    )


# --- Snapshots at submit (registered on lifecycle transitions) ----------------------------


def file_list(submission: Submission) -> list[dict[str, Any]]:
    return [
        {
            "id": str(f.pk),
            "name": f.name,
            "size": f.size,
            "sha256": f.sha256,
            "detected_type": f.detected_type,
            "status": f.status,
        }
        for f in submission.files.order_by("name", "created_at")
    ]


def snapshot_on_submit(submission: Submission, from_status: str, to_status: str) -> None:
    """At every submit, record what the curators will see and close the open change requests.

    Runs inside the transition's transaction on the locked row, so a submit without its
    snapshot cannot exist.
    """
    if to_status != S.SUBMITTED:
        return
    last = submission.snapshots.order_by("-round").values_list("round", flat=True).first()
    SubmissionSnapshot.objects.create(
        submission=submission,
        round=(last or 0) + 1,
        title=submission.title,
        metadata=submission.metadata if isinstance(submission.metadata, dict) else {},
        files=file_list(submission),
    )
    ChangeRequest.objects.filter(submission=submission, resolved_at=None).update(
        resolved_at=timezone.now()
    )


def register() -> None:
    lifecycle.on_transition(snapshot_on_submit, in_transaction=True)
