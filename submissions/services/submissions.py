"""Creating, describing, deleting and submitting submissions."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from submissions.models import (
    Facility,
    FileStatus,
    Membership,
    Submission,
    SubmissionStatus,
    User,
)
from submissions.services import lifecycle, rembi
from submissions.services.exceptions import InvalidTransition, NotFound, ValidationFailed
from submissions.services.rembi.validate import MAX_DOCUMENT_BYTES

# Autosave writes often; the timeline gets one "metadata updated" entry per person per window.
METADATA_EVENT_WINDOW = datetime.timedelta(minutes=15)
READY_FILE_STATUSES = (FileStatus.VERIFIED, FileStatus.INSPECTED)


def _checked_metadata(metadata: Any, *, title: str | None = None) -> dict[str, Any]:
    """The cleaned REMBI document, or ValidationFailed listing every malformed value."""
    try:
        size = len(json.dumps(metadata, default=str))
    except (TypeError, ValueError):
        size = MAX_DOCUMENT_BYTES + 1
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            "The description is too large to save (over 2 MB); shorten the longest texts.",
            fields={"metadata": ["At most 2 MB of metadata."]},
        )
    if title is not None and isinstance(metadata, dict):
        metadata = {**metadata, "study": {**(metadata.get("study") or {}), "title": title}}
    document, errors = rembi.clean(metadata)
    if errors:
        count = sum(len(messages) for messages in errors.values())
        raise ValidationFailed(
            f"Nothing was saved: {count} value(s) need correcting.", fields=errors
        )
    return document


def create_submission(
    *, user: User, facility: Facility, title: str, metadata: dict[str, Any] | None = None
) -> Submission:
    """A new draft in a facility the user belongs to, in the user's group there."""
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None and not user.is_superuser:
        raise NotFound("No such facility.")
    title = title.strip()
    if not title:
        raise ValidationFailed(fields={"title": ["Give the submission a title."]})
    if len(title) > 300:
        raise ValidationFailed(fields={"title": ["At most 300 characters, please."]})
    metadata = _with_creator_as_author(metadata or {}, user=user)
    study = metadata.get("study") if isinstance(metadata, dict) else None
    has_title = isinstance(study, dict) and bool(study.get("title"))
    # The working title names the draft until the description gives it a study title.
    document = _checked_metadata(metadata, title=None if has_title else title)
    with transaction.atomic():
        submission = Submission.objects.create(
            facility=facility,
            group=membership.group if membership else None,
            owner=user,
            title=document["study"]["title"] or title,
            metadata=document,
        )
        lifecycle.record_event(
            submission=submission,
            actor=user,
            kind="created",
            to_status=SubmissionStatus.DRAFT,
        )
    return submission


def _with_creator_as_author(metadata: Any, *, user: User) -> Any:
    """A description that names no authors yet starts with its creator as the first one
    (name, e-mail and ORCID iD from their account), for them to complete or change."""
    if not isinstance(metadata, dict):
        return metadata
    study = metadata.get("study")
    study = study if isinstance(study, dict) else {}
    if "authors" in study:
        return metadata
    me = {"name": user.full_name, "email": user.email, "orcid": user.orcid}
    return {**metadata, "study": {**study, "authors": [me]}}


def _record_metadata_event(*, submission: Submission, user: User) -> None:
    latest = submission.events.order_by("-created_at", "-id").first()
    recent = timezone.now() - METADATA_EVENT_WINDOW
    if (
        latest
        and latest.kind == "metadata_updated"
        and latest.actor_id == user.pk
        and latest.created_at >= recent
    ):
        return
    lifecycle.record_event(submission=submission, actor=user, kind="metadata_updated")


def update_submission(
    *,
    submission: Submission,
    user: User,
    metadata: dict[str, Any] | None = None,
    title: str | None = None,
) -> Submission:
    """Replace the REMBI description (and/or the title) of an editable submission.

    The whole document is checked first; any malformed value refuses the save whole.
    """
    lifecycle.require_owner(user=user, submission=submission)
    if title is not None and not title.strip():
        raise ValidationFailed(fields={"study.title": ["Give the submission a title."]})
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status not in lifecycle.EDITABLE_STATUSES:
            raise InvalidTransition(
                f"A submission that is {locked.get_status_display().lower()} cannot be edited."
            )
        base = locked.metadata if metadata is None else metadata
        document = _checked_metadata(base, title=title.strip() if title is not None else None)
        locked.metadata = document
        locked.title = document["study"]["title"] or locked.title
        locked.save(update_fields=["metadata", "title", "updated_at"])
        _record_metadata_event(submission=locked, user=user)
    submission.refresh_from_db()
    return submission


def delete_submission(*, submission: Submission, user: User) -> None:
    """Delete a draft nobody has seen yet. Drafts with files keep them until removed."""
    lifecycle.require_owner(user=user, submission=submission)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != SubmissionStatus.DRAFT:
            raise InvalidTransition("Only a draft can be deleted; withdraw it instead.")
        if locked.files.exists():
            raise InvalidTransition(
                "This draft still has files. Remove them on its files page first."
            )
        locked.delete()


def submission_problems(*, submission: Submission) -> dict[str, list[str]]:
    """Every missing or invalid field that stops a submission from being submitted."""
    problems = rembi.problems(submission.metadata)
    if not submission.files.filter(status__in=READY_FILE_STATUSES).exists():
        problems["files"] = ["Upload at least one file and wait until it is verified."]
    return problems


def submit(*, submission: Submission, user: User, note: str = "") -> Submission:
    lifecycle.require_owner(user=user, submission=submission)

    def complete(locked: Submission) -> None:
        problems = submission_problems(submission=locked)
        if problems:
            raise ValidationFailed(
                f"{len(problems)} field(s) must be completed before submitting.", fields=problems
            )

    return lifecycle.transition(
        submission=submission,
        to=SubmissionStatus.SUBMITTED,
        actor=user,
        note=note,
        check=complete,
    )
