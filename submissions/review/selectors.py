"""Permission-scoped reads for review: the queue, the review page, change requests, diffs."""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from submissions.accounts.models import Facility, User
from submissions.accounts.permissions import CURATING_ROLES
from submissions.accounts.selectors import curated_facilities
from submissions.core.errors import NotFound
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import SentNotification
from submissions.rembi import services as rembi
from submissions.rembi.services import fields as rembi_fields
from submissions.review.diff import (
    FieldChange,
    FileChange,
    diff_files,
    diff_metadata,
    metadata_document,
)
from submissions.review.models import (
    ChangeRequest,
    ChangeRequestPoint,
    ReviewComment,
    SubmissionSnapshot,
)
from submissions.uploads.models import DataFile, FileStatus

S = SubmissionStatus
# A curator's queue holds everything ever submitted; drafts are the researcher's own.
QUEUE_STATES = [s for s in S if s != S.DRAFT]
WAITING = (S.SUBMITTED, S.IN_REVIEW)
AGES: dict[str, tuple[str, datetime.timedelta]] = {
    "lt1d": ("Under a day", datetime.timedelta(days=1)),
    "gt1d": ("More than a day", datetime.timedelta(days=1)),
    "gt7d": ("More than a week", datetime.timedelta(days=7)),
    "gt30d": ("More than a month", datetime.timedelta(days=30)),
}
SORTS: dict[str, tuple[str, list[str]]] = {
    "oldest": ("Waiting longest", ["submitted_at", "id"]),
    "newest": ("Most recent", ["-submitted_at", "-id"]),
    "title": ("Title", ["title", "id"]),
    "submitter": ("Submitter", ["owner__email", "submitted_at", "id"]),
    "updated": ("Last change", ["-updated_at", "-id"]),
}


ROW_COLUMNS = [
    "id",
    "facility_id",
    "title",
    "status",
    "accession",
    "owner",
    "assignee",
    "submitted_at",
    "updated_at",
]
PERSON_COLUMNS = ["email", "full_name", "first_name", "last_name"]


@dataclass
class QueueFilters:
    """What the curator asked for; anything unknown was dropped by the form or serializer."""

    state: str = "waiting"  # "waiting", "all" or a SubmissionStatus value
    submitter: str = ""  # an e-mail address or a user id
    age: str = ""  # a key of AGES
    assignee: str = ""  # "me", "none" or a user id
    has_failures: bool | None = None
    q: str = ""
    sort: str = "oldest"
    now: datetime.datetime = field(default_factory=timezone.now)


def curated_facility(*, user: User, slug: str) -> Facility:
    """The facility if the user curates it; NotFound otherwise (members and strangers alike)."""
    facility = curated_facilities(user=user).filter(slug=slug).first()
    if facility is None:
        raise NotFound("No such facility.")
    return facility


def facility_curators(*, facility: Facility) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__facility=facility, memberships__role__in=CURATING_ROLES, is_active=True
        )
        .distinct()
        .order_by("full_name", "email")
    )


def filtered_queue(
    *, user: User, facility: Facility, filters: QueueFilters
) -> QuerySet[Submission]:
    """Every filter but the state, so the per-state counts share it."""
    rows = Submission.objects.filter(facility=facility).exclude(status=S.DRAFT)
    if filters.submitter:
        if filters.submitter.isdigit():
            rows = rows.filter(owner_id=int(filters.submitter))
        else:
            rows = rows.filter(owner__email__iexact=filters.submitter)
    if filters.age in AGES:
        cutoff = filters.now - AGES[filters.age][1]
        rows = (
            rows.filter(submitted_at__gt=cutoff)
            if filters.age.startswith("lt")
            else rows.filter(submitted_at__lte=cutoff)
        )
    if filters.assignee == "me":
        rows = rows.filter(assignee=user)
    elif filters.assignee == "none":
        rows = rows.filter(assignee=None)
    elif filters.assignee.isdigit():
        rows = rows.filter(assignee_id=int(filters.assignee))
    if filters.has_failures is not None:
        # Kept on the row by submissions.uploads.services.failures.
        rows = rows.filter(has_failed_files=filters.has_failures)
    if filters.q:
        q = filters.q
        # The people matched first (a small table), passed as a list so the submission side
        # stays an OR of indexed conditions: trigram title, accession, owner.
        people = list(
            User.objects.filter(Q(email__icontains=q) | Q(full_name__icontains=q)).values_list(
                "pk", flat=True
            )[:1000]
        )
        rows = rows.filter(Q(title__icontains=q) | Q(accession=q.upper()) | Q(owner_id__in=people))
    return rows


def review_queue(*, user: User, facility: Facility, filters: QueueFilters) -> QuerySet[Submission]:
    """The facility's submissions for its curators, filtered and sorted (oldest first)."""
    rows = filtered_queue(user=user, facility=facility, filters=filters)
    if filters.state == "waiting":
        rows = rows.filter(status__in=WAITING)
    elif filters.state in S.values:
        rows = rows.filter(status=filters.state)
    order = SORTS.get(filters.sort, SORTS["oldest"])[1]
    # Only the columns a row of the queue shows: the metadata and draft documents are the
    # heaviest, and decoding them for every row costs more than the query.
    people = [f"{who}__{column}" for who in ("owner", "assignee") for column in PERSON_COLUMNS]
    return rows.select_related("owner", "assignee").only(*ROW_COLUMNS, *people).order_by(*order)


@dataclass(frozen=True)
class FileStats:
    count: int = 0
    failed: int = 0
    total_bytes: int = 0


def file_stats(submissions: list[Submission]) -> dict[Any, FileStats]:
    """File count, failures and size for a page of submissions, in one query."""
    if not submissions:
        return {}
    rows = (
        DataFile.objects.filter(submission_id__in=[s.pk for s in submissions])
        .order_by()
        .values("submission_id")
        .annotate(
            n=Count("pk"), failed=Count("pk", filter=Q(status=FileStatus.FAILED)), total=Sum("size")
        )
    )
    return {
        row["submission_id"]: FileStats(row["n"], row["failed"], row["total"] or 0) for row in rows
    }


# --- One submission ---------------------------------------------------------------------


def open_change_request(*, submission: Submission) -> ChangeRequest | None:
    """The change request the researcher is answering, if any."""
    return (
        ChangeRequest.objects.filter(submission=submission, resolved_at=None)
        .select_related("curator")
        .prefetch_related("points__file")
        .order_by("-created_at", "-id")
        .first()
    )


def open_change_requests(submission: Submission) -> dict[str, list[ChangeRequestPoint]]:
    """The open points by what they concern: a field path ("authors.0.orcid"), "file:<uuid>"
    for a file, or "" for the submission as a whole. The metadata editor renders them with
    templates/review/_field_requests.html next to each field."""
    return points_by_target(open_change_request(submission=submission))


def points_by_target(change_request: ChangeRequest | None) -> dict[str, list[ChangeRequestPoint]]:
    points: dict[str, list[ChangeRequestPoint]] = defaultdict(list)
    if change_request is not None:
        for point in change_request.points.all():
            if point.field_path:
                points[point.field_path].append(point)
            elif point.file_id:
                points[f"file:{point.file_id}"].append(point)
            else:
                points[""].append(point)
    return dict(points)


def change_requests(*, submission: Submission) -> QuerySet[ChangeRequest]:
    return (
        submission.change_requests.select_related("curator")
        .prefetch_related("points__file")
        .order_by("-created_at", "-id")
    )


def comments(*, submission: Submission) -> QuerySet[ReviewComment]:
    return submission.comments.select_related("author", "file").order_by("created_at", "id")


def files_of(*, submission: Submission) -> QuerySet[DataFile]:
    return submission.files.order_by("name", "created_at")


def notifications_of(*, submission: Submission) -> QuerySet[SentNotification]:
    return submission.notifications.select_related("recipient").order_by("created_at", "id")


@dataclass(frozen=True)
class ReviewDiff:
    previous_round: int
    current_round: int
    previous_at: datetime.datetime
    current_at: datetime.datetime
    fields: list[FieldChange]
    files: list[FileChange]

    @property
    def empty(self) -> bool:
        return not self.fields and not self.files


def _labelled(changes: list[FieldChange], metadata: Any) -> list[FieldChange]:
    """Each change named as people read it ("Biosample 1 (HeLa cells) > Title"); values are
    compared as the pages show them (titles for links between items, keywords joined)."""
    labels = {ref.path: ref.label for ref in rembi_fields.fields_of(metadata)}
    return [
        dataclasses.replace(c, label=labels.get(c.path) or rembi_fields.label_of(c.path))
        for c in changes
    ]


def changes_since_last_review(
    *, submission: Submission, readable: bool = False
) -> ReviewDiff | None:
    """What the researcher changed between the last two submits; None before a resubmit.
    Values as stored (the API), or as the pages show them (`readable`)."""
    latest = list(SubmissionSnapshot.objects.filter(submission=submission).order_by("-round")[:2])
    if len(latest) < 2:
        return None
    current, previous = latest
    return ReviewDiff(
        previous_round=previous.round,
        current_round=current.round,
        previous_at=previous.created_at,
        current_at=current.created_at,
        fields=_labelled(
            diff_metadata(rembi.flatten(previous.metadata), rembi.flatten(current.metadata))
            if readable
            else diff_metadata(
                metadata_document(title=previous.title, metadata=previous.metadata),
                metadata_document(title=current.title, metadata=current.metadata),
            ),
            current.metadata,
        ),
        files=diff_files(previous.files, current.files),
    )
