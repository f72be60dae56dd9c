"""A submission and its lifecycle: creating, describing and deleting drafts, and the one
function that changes `Submission.status`.

draft -> submitted -> in_review -> approved -> processing -> published -> tombstoned
            ^            |   \\                     |
            +-- changes_requested <-+  -> rejected  -> processing_failed -> processing (retry)
draft / changes_requested -> withdrawn

`transition` locks the row (`select_for_update()`), checks the move against `ALLOWED` and
writes a SubmissionEvent. A repeated request (a double click) meets the new status and is
refused with InvalidTransition (409), so nothing happens twice. It starts no work itself:
the service that asks for a move says in its own body what follows (review.services.approve
enqueues processing, and so on).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import Facility, Membership, User
from submissions.accounts.permissions import can_curate, can_edit
from submissions.core import dispatch
from submissions.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PortalError,
    ValidationFailed,
)
from submissions.core.text import multi_line, single_line
from submissions.lifecycle import readiness
from submissions.lifecycle.models import (
    AccessionCounter,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from submissions.rembi import services as rembi
from submissions.rembi.services import drafts as rembi_drafts
from submissions.rembi.services.validate import MAX_DOCUMENT_BYTES, Errors

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
    S.PUBLISHED: {S.TOMBSTONED},
    S.WITHDRAWN: set(),
    S.TOMBSTONED: set(),
}

EDITABLE_STATUSES = frozenset({S.DRAFT, S.CHANGES_REQUESTED})


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
        note=multi_line(note),
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
    submission.refresh_from_db()
    return locked


def require_owner(*, user: User, submission: Submission) -> None:
    if not can_edit(user=user, submission=submission):
        raise PermissionDenied("Only the submitter can do this.")


class SubmissionFrozen(PortalError):
    http_status = 403
    code = "submission_frozen"
    default_message = "This submission is frozen."


def frozen_reason(*, submission: Submission, viewer: User | None = None) -> str:
    """Why nobody may change this submission now, or "" if it is not frozen; worded for its
    owner unless another `viewer` (a curator) reads it.

    A draft (or a submission sent back for changes) freezes when its owner stops being a
    member of its facility: it cannot be edited, given files or submitted, but it is kept,
    and the facility's curators still see it. It thaws if they join again.
    """
    if submission.status not in EDITABLE_STATUSES:
        return ""
    owner = submission.owner
    if (
        owner.is_superuser
        or Membership.objects.filter(
            user_id=submission.owner_id, facility_id=submission.facility_id
        ).exists()
    ):
        return ""
    facility = submission.facility.name
    if viewer is not None and viewer.pk != owner.pk:
        return (
            f"This submission is frozen: {owner.display_name} is no longer a member of "
            f"{facility}, so it cannot be edited, given files or submitted. It is kept as it is."
        )
    return (
        f"This submission is frozen: you are no longer a member of {facility}, so it cannot "
        f"be edited, given files or submitted. It is kept as it is, and {facility}'s curators "
        f"can still see it. To carry on, ask an administrator of {facility} to invite you again."
    )


def require_not_frozen(*, submission: Submission) -> None:
    reason = frozen_reason(submission=submission)
    if reason:
        raise SubmissionFrozen(reason)


def require_curator(*, user: User, submission: Submission) -> None:
    if not can_curate(user=user, submission=submission):
        raise PermissionDenied("Only a curator of this facility can do this.")


def withdraw(*, submission: Submission, user: User, note: str = "") -> Submission:
    """The researcher takes the submission back; its review copies are deleted after commit
    and they are mailed the date its uploads are deleted (uploads.services.retention)."""
    require_owner(user=user, submission=submission)
    with transaction.atomic():
        locked = transition(
            submission=submission,
            to=S.WITHDRAWN,
            actor=user,
            note=note,
            check=lambda locked: require_not_frozen(submission=locked),
        )
        dispatch.clean_up_review_copies(submission_id=locked.pk)
        # Confirms it and says until when the uploads are kept (notifications' "withdrawn").
        dispatch.submission_mail(submission_id=locked.pk, kind="withdrawn")
    return locked


# Autosave writes often; the timeline gets one "metadata updated" entry per person per window.
METADATA_EVENT_WINDOW = datetime.timedelta(minutes=15)


def _check_size(metadata: Any) -> None:
    try:
        size = len(json.dumps(metadata, default=str))
    except (TypeError, ValueError):
        size = MAX_DOCUMENT_BYTES + 1
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            "The description is too large to save (over 2 MB); shorten the longest texts.",
            fields={"metadata": ["At most 2 MB of metadata."]},
        )


def _count(errors: Errors) -> str:
    count = sum(len(messages) for messages in errors.values())
    return "1 value needs" if count == 1 else f"{count} values need"


def _checked_metadata(metadata: Any, *, title: str | None = None) -> dict[str, Any]:
    """The cleaned REMBI document, or ValidationFailed listing every malformed value."""
    _check_size(metadata)
    if title is not None and isinstance(metadata, dict):
        metadata = {**metadata, "study": {**(metadata.get("study") or {}), "title": title}}
    document, errors = rembi.clean(metadata)
    if errors:
        raise ValidationFailed(f"Nothing was saved: {_count(errors)} correcting.", fields=errors)
    return document


def create_submission(
    *, user: User, facility: Facility, title: str, metadata: dict[str, Any] | None = None
) -> Submission:
    """A new draft in a facility the user belongs to, in the user's group there."""
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None and not user.is_superuser:
        raise NotFound("No such facility.")
    title = single_line(title)
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
        record_event(
            submission=submission,
            actor=user,
            kind="created",
            to_status=SubmissionStatus.DRAFT,
        )
    return submission


def _with_creator_as_author(metadata: Any, *, user: User) -> Any:
    """A description that names no authors yet starts with its creator as the first one
    (name, e-mail and ORCID iD from their account) and as the dataset's contact (the box is
    ticked in the editor; only a contact's e-mail is published), to complete or change."""
    if not isinstance(metadata, dict):
        return metadata
    study = metadata.get("study")
    study = study if isinstance(study, dict) else {}
    if "authors" in study:
        return metadata
    me = {"name": user.full_name, "email": user.email, "orcid": user.orcid, "contact": True}
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
    record_event(submission=submission, actor=user, kind="metadata_updated")


def _locked_editable(submission: Submission) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise InvalidTransition(
            f"A submission that is {locked.get_status_display().lower()} cannot be edited."
        )
    require_not_frozen(submission=locked)
    return locked


def update_submission(
    *,
    submission: Submission,
    user: User,
    metadata: dict[str, Any] | None = None,
    title: str | None = None,
    draft_values: dict[str, Any] | None = None,
) -> Submission:
    """Replace the REMBI description (and/or the title) of an editable submission.

    The whole document is checked first; any malformed value refuses the save whole (the API's
    contract; the editor saves through `save_description`). A new document replaces the
    editor's drafts too, unless `draft_values` says which to keep.
    """
    require_owner(user=user, submission=submission)
    if title is not None:
        title = single_line(title)
        if not title:
            raise ValidationFailed(fields={"study.title": ["Give the submission a title."]})
    with transaction.atomic():
        locked = _locked_editable(submission)
        base = locked.metadata if metadata is None else metadata
        document = _checked_metadata(base, title=title)
        locked.metadata = document
        locked.title = document["study"]["title"] or locked.title
        if draft_values is not None or metadata is not None:
            locked.draft_values = rembi_drafts.live_drafts(document, draft_values or {})
        locked.save(update_fields=["metadata", "draft_values", "title", "updated_at"])
        _record_metadata_event(submission=locked, user=user)
    submission.refresh_from_db()
    return submission


def save_description(
    *, submission: Submission, user: User, metadata: Any
) -> tuple[Submission, Errors]:
    """The editor's save: every valid value is saved, and every malformed one is kept as typed
    in `draft_values` (with its errors returned by field path) instead of refusing the rest.

    Only what no single field can hold (a description over 2 MB, an unknown section, a list
    over its limit) refuses the save whole, with ValidationFailed.
    """
    require_owner(user=user, submission=submission)
    _check_size(metadata)
    parts = rembi_drafts.split(metadata)
    if parts.refused:
        raise ValidationFailed(
            f"Nothing was saved: {_count(parts.refused)} correcting.", fields=parts.refused
        )
    with transaction.atomic():
        locked = _locked_editable(submission)
        locked.metadata = parts.document
        locked.draft_values = parts.drafts
        locked.title = parts.document["study"]["title"] or locked.title
        locked.save(update_fields=["metadata", "draft_values", "title", "updated_at"])
        _record_metadata_event(submission=locked, user=user)
    submission.refresh_from_db()
    return submission, parts.errors


def draft_errors(*, submission: Submission) -> Errors:
    """What is wrong with each value the editor keeps as typed, by field path."""
    return rembi_drafts.draft_errors(submission.metadata, submission.draft_values or {})


def submission_problems(*, submission: Submission) -> dict[str, list[str]]:
    """Every missing or invalid field that stops a submission from being submitted."""
    problems = rembi.problems(submission.metadata)
    for path, messages in draft_errors(submission=submission).items():
        # Typed but not valid yet: the value itself is what needs correcting.
        problems[path] = messages
    if files := readiness.submission_file_problems(submission=submission):
        problems[readiness.FILES] = files
    return problems


def allocate_accession() -> str:
    """`<ACCESSION_PREFIX>-<n>`: the counter row is locked, so no number is handed out twice.

    Runs inside the caller's transaction when there is one: a rolled-back caller gives the
    number back before anyone else could see it, so numbers stay unique and gap-free enough.
    """
    prefix = settings.ACCESSION_PREFIX
    with transaction.atomic():
        AccessionCounter.objects.bulk_create(
            [AccessionCounter(prefix=prefix)], ignore_conflicts=True
        )
        counter = AccessionCounter.objects.select_for_update().get(prefix=prefix)
        value = counter.next_value
        # Never collide with an accession given some other way (imports, earlier prefixes).
        while Submission.objects.filter(accession=f"{prefix}-{value}").exists():
            value += 1
        counter.next_value = value + 1
        counter.save(update_fields=["next_value"])
    return f"{prefix}-{value}"
