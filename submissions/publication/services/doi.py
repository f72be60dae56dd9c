"""A dataset's DOI: made a draft when its accession is given at approval, findable when the
dataset is released, hidden when it is withdrawn, and its metadata re-sent whenever the record
changes.

`sync` makes the agency agree with the database: it works out the state the DOI should have
from the dataset's own state, builds the DataCite metadata, and sends it only if the state or
the metadata differ from what the agency last accepted. A failure never touches the dataset:
the registration is marked due again with backoff (30 s, doubling, at most
DOI_RETRY_MAX_SECONDS) and beat's `sync_due` sends it again then, or re-sends any DOI whose
state lags behind its dataset (a lost message), and the landing page says "DOI pending" meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from submissions.core import dispatch
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.publication.doi import DoiError, provider
from submissions.publication.formats import datacite
from submissions.publication.formats.record import dataset_record
from submissions.publication.models import DoiRegistration, DoiState, Publication

logger = logging.getLogger(__name__)
S = SubmissionStatus
# States of a submission whose accession has a (draft) DOI.
WITH_DOI = (S.PROCESSING, S.PROCESSING_FAILED, S.PUBLISHED, S.TOMBSTONED)
RETRY_BASE_SECONDS = 30.0


def doi_for(*, prefix: str, accession: str) -> str:
    # DataCite stores and answers DOIs in lower case; keep ours the same for comparison.
    return f"{prefix}/{accession}".lower()


def target_state(*, submission: Submission, registration: DoiRegistration) -> str:
    publication = submission.publication
    if publication.tombstoned_at is not None:
        # A findable DOI can only be hidden (it stays registered, resolving to the tombstone);
        # a draft was never public and is deleted.
        if registration.state in (DoiState.FINDABLE, DoiState.REGISTERED):
            return DoiState.REGISTERED
        return DoiState.DELETED
    if publication.is_released:
        return DoiState.FINDABLE
    return DoiState.DRAFT


def _event(*, current: str, target: str) -> str:
    if target == DoiState.FINDABLE and current != DoiState.FINDABLE:
        return "publish"
    if target == DoiState.REGISTERED and current == DoiState.FINDABLE:
        return "hide"
    return ""


def sync(*, submission_id: Any) -> str:
    """Bring the agency's record of this dataset's DOI in line; returns what happened."""
    agency = provider()
    if agency is None:
        return "off"
    submission = (
        Submission.objects.select_related("facility", "publication")
        .filter(pk=submission_id, status__in=WITH_DOI)
        .exclude(accession=None)
        .first()
    )
    if submission is None or not hasattr(submission, "publication"):
        return "not yet"
    registration, _ = DoiRegistration.objects.get_or_create(
        submission=submission,
        defaults={"doi": doi_for(prefix=agency.prefix, accession=submission.accession or "")},
    )
    target = target_state(submission=submission, registration=registration)
    record = dataset_record(submission=submission)
    publication = submission.publication
    year_day = publication.released_at.date() if publication.released_at else None
    year_day = year_day or publication.release_date or timezone.localdate()
    attributes = datacite.attributes(record, doi=registration.doi, release_year=year_day.year)
    digest = hashlib.sha256(
        json.dumps([target, attributes], sort_keys=True, default=str).encode()
    ).hexdigest()
    if registration.synced_hash == digest and registration.state == target:
        DoiRegistration.objects.filter(pk=registration.pk).update(due_at=None)
        return "unchanged"
    try:
        if target == DoiState.DELETED:
            if registration.state == DoiState.DRAFT:
                agency.delete_draft(doi=registration.doi)
            state: str = DoiState.DELETED
        else:
            event = _event(current=registration.state, target=target)
            state = agency.put(doi=registration.doi, attributes=attributes, event=event)
    except DoiError as error:
        _failed(registration=registration, error=error)
        return "failed"
    _recorded(submission=submission, registration=registration, state=state, digest=digest)
    return state


def _failed(*, registration: DoiRegistration, error: DoiError) -> None:
    attempts = registration.attempts + 1
    delay = min(settings.DOI_RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** min(attempts, 20))
    logger.warning("DOI %s not synced (attempt %s): %s", registration.doi, attempts, error)
    # No re-send from here: beat's `sync_due` (every DOI_SYNC_SECONDS) sends it again once
    # `due_at` has passed, so a retry survives a restarted worker or a lost message.
    DoiRegistration.objects.filter(pk=registration.pk).update(
        attempts=attempts,
        last_error=str(error)[:2000],
        due_at=timezone.now() + timedelta(seconds=delay),
    )


def _recorded(
    *, submission: Submission, registration: DoiRegistration, state: str, digest: str
) -> None:
    now = timezone.now()
    with transaction.atomic():
        DoiRegistration.objects.filter(pk=registration.pk).update(
            state=state,
            synced_hash=digest,
            synced_at=now,
            attempts=0,
            last_error="",
            due_at=None,
        )
        if state != registration.state:
            lifecycle.record_event(
                submission=submission,
                actor=None,
                kind="doi",
                note=f"DOI {registration.doi} is {DoiState(state).label.lower()} at DataCite.",
            )
            # What harvesters see changed (the DOI appears, or says it was withdrawn).
            Publication.objects.filter(submission=submission).update(record_updated_at=now)


def sync_due(*, limit: int = 200) -> int:
    """Re-send every DOI that is due or out of step (beat): failed attempts whose backoff has
    passed, and datasets whose DOI state lags behind them (a lost message)."""
    if provider() is None:
        return 0
    now = timezone.now()
    lagging = Submission.objects.filter(status__in=WITH_DOI).exclude(accession=None)
    lagging = lagging.filter(
        Q(doi_registration=None, publication__isnull=False)
        | Q(doi_registration__due_at__lte=now)
        | Q(
            publication__released_at__isnull=False,
            publication__tombstoned_at=None,
            doi_registration__due_at=None,
        )
        & ~Q(doi_registration__state=DoiState.FINDABLE)
        | Q(publication__tombstoned_at__isnull=False, doi_registration__state=DoiState.FINDABLE)
    )
    ids = list(lagging.values_list("pk", flat=True)[:limit])
    for submission_id in ids:
        dispatch.sync_doi(submission_id=submission_id)
    return len(ids)
