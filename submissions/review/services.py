"""Review: from the researcher's submit to the curator's decision.

submit (researcher), start_review, request_changes, approve, reject (curators), the
conversation between both sides, and the researcher's field fixes; who reviews (claim,
assign) is `review.assignment`, whose names are importable from here too. Every
function checks permissions itself and changes state under a row lock (through
`lifecycle.transition`), so a double click meets the new state and does nothing twice. What a
decision sets off is written in its own body: mail through `dispatch`, and approval starting
processing.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate, can_edit
from submissions.core import dispatch, storage
from submissions.core.errors import (
    PermissionDenied,
    ValidationFailed,
)
from submissions.core.text import multi_line, single_line
from submissions.lifecycle import readiness
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.quotas.services import datasets as quota_datasets
from submissions.rembi.services import fields as rembi_fields
from submissions.review import image_points
from submissions.review.assignment import ASSIGNABLE_STATUSES as ASSIGNABLE_STATUSES
from submissions.review.assignment import AlreadyClaimed as AlreadyClaimed
from submissions.review.assignment import assign as assign
from submissions.review.assignment import claim as claim
from submissions.review.field_paths import is_valid_path, set_path
from submissions.review.models import (
    ChangeRequest,
    ChangeRequestPoint,
    ReviewComment,
    SubmissionSnapshot,
)
from submissions.review.readiness import require_approvable
from submissions.review.self_review import record_self_review, require_decider
from submissions.uploads.models import DataFile

S = SubmissionStatus
MAX_MESSAGE = 20_000
MAX_POINTS = 100
MAX_VALUE_CHARS = 20_000


@dataclass(frozen=True)
class ChangePoint:
    """One point of a change request: about a field (dotted path), a file, or neither; a
    point made in the viewer also carries what was shown and a PNG screenshot of it."""

    message: str
    field_path: str = ""
    file_id: str | None = None
    image_view: Any = None
    screenshot: bytes | None = None


NOT_A_FIELD = "Choose one of this submission's fields from the list."


def _known_field(
    submission: Submission, path: str, known: frozenset[str] | None = None
) -> str | None:
    """`path` if it names a field, section or item of this submission's description (what
    the editor shows, so the researcher can find it); None otherwise."""
    path = path.strip()
    if not is_valid_path(path):
        return None
    known = rembi_fields.known_paths(submission.metadata) if known is None else known
    return path if path in known else None


# --- Submitting and deciding -------------------------------------------------------------


def submit(*, submission: Submission, user: User, note: str = "") -> Submission:
    """The researcher hands a draft (or a revised submission) in for review: every problem is
    refused at once, the round is snapshotted for the diff, and the curators are told."""
    lifecycle.require_owner(user=user, submission=submission)

    def complete(locked: Submission) -> None:
        lifecycle.require_not_frozen(submission=locked)
        problems = lifecycle.submission_problems(submission=locked)
        if problems:
            raise ValidationFailed(readiness.refusal_message(problems), fields=problems)

    with transaction.atomic():
        locked = lifecycle.transition(
            submission=submission, to=S.SUBMITTED, actor=user, note=note, check=complete
        )
        _snapshot(locked)
        # Every image is converted now, into a private review copy, so the curators see it
        # before deciding; a resubmission converts only files that are new.
        dispatch.start_review_copies(submission_id=locked.pk)
        dispatch.submission_mail(submission_id=locked.pk, kind=NotificationKind.SUBMITTED)
    submission.refresh_from_db()
    return locked


def start_review(*, submission: Submission, curator: User) -> Submission:
    lifecycle.require_curator(user=curator, submission=submission)
    return lifecycle.transition(submission=submission, to=S.IN_REVIEW, actor=curator)


def approve(*, submission: Submission, curator: User, note: str = "") -> Submission:
    """Accept the dataset: the researcher is told, and processing starts after commit (it
    publishes the review copies made at submit)."""
    own = require_decider(submission=submission, curator=curator)

    def approvable(locked: Submission) -> None:
        # The rule the review page shows before anyone presses Approve (review.readiness).
        require_approvable(submission=locked, curator=curator)

    with transaction.atomic():
        locked = lifecycle.transition(
            submission=submission, to=S.APPROVED, actor=curator, note=note, check=approvable
        )
        # The converted dataset's archive bytes, estimated and held under lock: the backstop
        # if another approval took the space since the check above.
        quota_datasets.reserve_archive(submission=locked)
        if own:
            record_self_review(submission=locked, curator=curator, decision="approved")
        dispatch.start_processing(submission_id=locked.pk)
        dispatch.submission_mail(submission_id=locked.pk, kind=NotificationKind.APPROVED)
    return locked


def reject(*, submission: Submission, curator: User, reason: str) -> Submission:
    own = require_decider(submission=submission, curator=curator)
    reason = multi_line(reason)
    if not reason:
        raise ValidationFailed(
            "A rejection needs a reason.", fields={"reason": ["Say why it is rejected."]}
        )
    with transaction.atomic():
        locked = lifecycle.transition(
            submission=submission, to=S.REJECTED, actor=curator, note=reason
        )
        if own:
            record_self_review(submission=locked, curator=curator, decision="rejected")
        dispatch.clean_up_review_copies(submission_id=locked.pk)
        dispatch.submission_mail(submission_id=locked.pk, kind=NotificationKind.REJECTED)
    return locked


# --- Change requests ---------------------------------------------------------------------


def request_changes(
    *,
    submission: Submission,
    curator: User,
    message: str,
    points: Sequence[ChangePoint] = (),
) -> ChangeRequest:
    """Send the submission back to its researcher with a message and field-by-field points."""
    own = require_decider(submission=submission, curator=curator)
    message = multi_line(message)
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
    stored = image_points.store_screenshots(submission_id=submission.pk, points=clean)
    try:
        return _record_change_request(submission, curator, message, clean, own=own)
    except BaseException:
        storage.delete_keys(storage=storage.staging(), keys=stored)
        raise


def _record_change_request(
    submission: Submission,
    curator: User,
    message: str,
    clean: list[dict[str, Any]],
    *,
    own: bool,
) -> ChangeRequest:
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
        if own:
            record_self_review(submission=locked, curator=curator, decision="requested changes on")
        dispatch.submission_mail(submission_id=locked.pk, kind=NotificationKind.CHANGES_REQUESTED)
    submission.refresh_from_db()
    return change_request


def _clean_points(
    submission: Submission, points: Sequence[ChangePoint], problems: dict[str, list[str]]
) -> list[dict[str, Any]]:
    file_ids = {str(pk) for pk in submission.files.values_list("pk", flat=True)}
    known = rembi_fields.known_paths(submission.metadata)
    clean: list[dict[str, Any]] = []
    for index, point in enumerate(points):
        text = single_line(point.message)  # one line, as the form's field
        field_path = single_line(point.field_path)
        file_id = str(point.file_id) if point.file_id else None
        if not text:
            problems[f"points.{index}.message"] = ["Say what should change."]
        elif len(text) > MAX_MESSAGE:
            problems[f"points.{index}.message"] = ["This point is too long."]
        if field_path and _known_field(submission, field_path, known) is None:
            problems[f"points.{index}.field"] = [NOT_A_FIELD]
        if file_id and file_id not in file_ids:
            problems[f"points.{index}.file"] = ["This file is not part of the submission."]
        row: dict[str, Any] = {"field_path": field_path, "file_id": file_id, "message": text}
        if point.image_view is not None or point.screenshot:
            row.update(
                image_points.clean_image_part(
                    view=point.image_view,
                    screenshot=point.screenshot,
                    has_file=bool(file_id),
                    index=index,
                    problems=problems,
                )
            )
        clean.append(row)
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
    body = multi_line(body)
    problems: dict[str, list[str]] = {}
    if not body:
        problems["body"] = ["Write a comment."]
    elif len(body) > MAX_MESSAGE:
        problems["body"] = [f"Keep comments under {MAX_MESSAGE:,} characters."]
    if field_path.strip() and _known_field(submission, field_path) is None:
        problems["field"] = [NOT_A_FIELD]
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
    dispatch.comment_mail(comment_id=comment.pk)
    return comment


def _uuid_or_none(value: str) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


# --- The researcher's answer -------------------------------------------------------------


def update_fields(*, submission: Submission, user: User, changes: dict[str, Any]) -> Submission:
    """Set REMBI values by dotted path (e.g. "study.authors.0.orcid"; "title" is the study
    title), then save through the REMBI service, which validates the whole document. A value
    the editor kept as typed at one of these paths is replaced by the new one."""
    problems: dict[str, list[str]] = {}
    metadata = copy.deepcopy(submission.metadata if isinstance(submission.metadata, dict) else {})
    known = rembi_fields.known_paths(submission.metadata)
    for raw_path, value in changes.items():
        path = _known_field(submission, str(raw_path), known)
        if path is None:
            problems[str(raw_path)[:80]] = [NOT_A_FIELD]
            continue
        if path == "title":
            path = "study.title"
        if path == "study.title" and not (isinstance(value, str) and value.strip()):
            problems["title"] = ["The title cannot be empty."]
            continue
        metadata = set_path(metadata, path, value.strip() if isinstance(value, str) else value)
    if problems:
        raise ValidationFailed("Some fields need attention.", fields=problems)
    changed = {"study.title" if path == "title" else path for path in changes}
    kept = {p: v for p, v in (submission.draft_values or {}).items() if p not in changed}
    return lifecycle.update_submission(
        submission=submission, user=user, metadata=metadata, draft_values=kept
    )


# --- Snapshots at submit -------------------------------------------------------------------


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


def _snapshot(submission: Submission) -> None:
    """Record what the curators will see and close the open change requests. Runs inside
    submit's transaction, so a submit without its snapshot cannot exist."""
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
