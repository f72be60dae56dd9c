"""Embargo and release: a published dataset stays private until its release date, then it is
released once, by beat or by a curator, and everything public follows from `released_at`.

Releasing is a claim (`released_at IS NULL` -> now, a conditional update), so two beat runs,
a beat run racing a curator, or a double click release a dataset exactly once: one event, one
DOI update, one mail. A curator may release early or extend the embargo, always with a
reason, which the timeline keeps.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import User
from submissions.core import dispatch
from submissions.core.errors import InvalidTransition, ValidationFailed
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.processing.models import JobState
from submissions.publication.models import Publication
from submissions.rembi import services as rembi

logger = logging.getLogger(__name__)
MAX_EMBARGO_YEARS = 5  # as REMBI's release date allows at submission
MAX_REASON = 2_000


def metadata_release_date(submission: Submission) -> dt.date | None:
    """metadata["study"]["release_date"] as a date; None if absent or unreadable."""
    metadata = submission.metadata if isinstance(submission.metadata, dict) else {}
    study = metadata.get("study")
    raw = study.get("release_date") if isinstance(study, dict) else None
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        logger.warning("unreadable release date %r on %s", raw, submission.pk)
        return None


def _terms(values: list[str]) -> str:
    cleaned = [" ".join(v.split()).lower().replace("|", " ") for v in values if v.strip()]
    return "|" + "|".join(dict.fromkeys(cleaned)) + "|" if cleaned else ""


def search_index(submission: Submission) -> dict[str, str]:
    """The terms the public datasets API finds a dataset by: keywords, organisms (name and
    NCBI Taxonomy id) and imaging methods (name and FBbi id)."""
    document = rembi.public_document(submission.metadata)
    taxa: list[str] = []
    for biosample in document["biosamples"]:
        organism = biosample["organism"]
        taxa += [organism["scientific_name"], organism["common_name"], organism["taxon_id"]]
    methods: list[str] = []
    for acquisition in document["acquisitions"]:
        methods += [acquisition["imaging_method"]["name"], acquisition["imaging_method"]["id"]]
    return {
        "index_keywords": _terms(document["study"]["keywords"]),
        "index_taxa": _terms(taxa),
        "index_methods": _terms(methods),
    }


def _embargoed(submission_id: Any) -> Publication | None:
    return (
        Publication.objects.select_for_update()
        .filter(
            submission_id=submission_id,
            submission__status=SubmissionStatus.PUBLISHED,
            state=JobState.SUCCEEDED,
            released_at=None,
        )
        .first()
    )


def release(*, submission_id: Any, actor: User | None, note: str = "", mail: bool = True) -> bool:
    """Make a published dataset public now; False if it already is (or is not published)."""
    now = timezone.now()
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return False
    with transaction.atomic():
        claimed = Publication.objects.filter(
            submission_id=submission_id,
            submission__status=SubmissionStatus.PUBLISHED,
            state=JobState.SUCCEEDED,
            released_at=None,
        ).update(released_at=now, record_updated_at=now, **search_index(submission))
        if not claimed:
            return False
        event = lifecycle.record_event(
            submission=submission,
            actor=actor,
            kind="released",
            note=note or "Released: the dataset is public.",
        )
        dispatch.sync_doi(submission_id=submission_id)
        if mail:
            dispatch.submission_mail(
                submission_id=submission_id,
                kind=NotificationKind.RELEASED,
                key=f"released:{event.pk}",
                note=event.note,
            )
    return True


def release_due_datasets(*, today: dt.date | None = None) -> int:
    """Release every published dataset whose release date has come (beat). Idempotent."""
    today = today or timezone.localdate()
    due = Publication.objects.filter(
        submission__status=SubmissionStatus.PUBLISHED,
        state=JobState.SUCCEEDED,
        released_at=None,
        release_date__lte=today,
    ).values_list("submission_id", flat=True)
    released = 0
    for submission_id in list(due):
        if release(
            submission_id=submission_id,
            actor=None,
            note=f"Released at its release date, {today.isoformat()}.",
        ):
            released += 1
    return released


def _reason(reason: str) -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationFailed(
            "Give a reason: it is kept on the dataset's timeline.",
            fields={"reason": ["Say why."]},
        )
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.",
            fields={"reason": [f"At most {MAX_REASON:,} characters, please."]},
        )
    return reason


def release_early(*, submission: Submission, curator: User, reason: str) -> Submission:
    """A curator ends the embargo today, with a reason."""
    lifecycle.require_curator(user=curator, submission=submission)
    reason = _reason(reason)
    today = timezone.localdate()
    with transaction.atomic():
        publication = _embargoed(submission.pk)
        if publication is None:
            raise InvalidTransition("Only a dataset under embargo can be released early.")
        _set_release_date(publication=publication, until=today)
        release(
            submission_id=submission.pk,
            actor=curator,
            note=f"Released early (embargo was until {publication.release_date}): {reason}",
        )
    submission.refresh_from_db()
    return submission


def extend_embargo(
    *, submission: Submission, curator: User, until: dt.date, reason: str
) -> Submission:
    """A curator moves the release date of a dataset still under embargo later."""
    lifecycle.require_curator(user=curator, submission=submission)
    reason = _reason(reason)
    today = timezone.localdate()
    with transaction.atomic():
        publication = _embargoed(submission.pk)
        if publication is None:
            raise InvalidTransition(
                "Only a dataset under embargo can have its embargo extended; a released "
                "dataset stays public."
            )
        before = publication.release_date
        if before is not None and until <= before:
            raise ValidationFailed(
                "The new release date must be later than the current one.",
                fields={"until": [f"Choose a day after {before.isoformat()}."]},
            )
        if until > today.replace(year=today.year + MAX_EMBARGO_YEARS):
            raise ValidationFailed(
                "An embargo can last at most five years.",
                fields={"until": ["Choose a date within five years."]},
            )
        _set_release_date(publication=publication, until=until)
        lifecycle.record_event(
            submission=submission,
            actor=curator,
            kind="embargo_extended",
            note=f"Embargo extended from {before} to {until.isoformat()}: {reason}",
        )
        dispatch.sync_doi(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def _set_release_date(*, publication: Publication, until: dt.date) -> None:
    """The embargo in force, kept equal in the REMBI description so exports agree."""
    Publication.objects.filter(pk=publication.pk).update(release_date=until)
    locked = Submission.objects.select_for_update().get(pk=publication.submission_id)
    metadata = dict(locked.metadata) if isinstance(locked.metadata, dict) else {}
    study = dict(metadata.get("study") or {})
    study["release_date"] = until.isoformat()
    metadata["study"] = study
    Submission.objects.filter(pk=locked.pk).update(metadata=metadata)
