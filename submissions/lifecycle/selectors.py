"""Permission-scoped reads of submissions: what a person may see (their own, their lab's, their
facility's when curating; 404 otherwise), the dashboard with what each submission waits for,
and the timeline. Views and API views never build a scoped queryset themselves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Avg, Count, Q, QuerySet

from submissions.accounts.models import Membership, User
from submissions.accounts.permissions import visibility_filter
from submissions.core.errors import NotFound
from submissions.lifecycle.models import Submission, SubmissionEvent, SubmissionStatus
from submissions.processing.models import ConversionJob
from submissions.review.models import ChangeRequestPoint


def submissions_visible_to(*, user: User) -> QuerySet[Submission]:
    if not user.is_authenticated:
        return Submission.objects.none()
    return (
        Submission.objects.filter(visibility_filter(user=user))
        .select_related("owner", "facility", "group")
        .distinct()
    )


def own_submissions(
    *, user: User, q: str = "", status: str = "", lab: bool = False
) -> QuerySet[Submission]:
    """The user's own submissions (with `lab`, those of their lab colleagues instead), newest
    activity first, optionally by title/accession and by status (an unknown status filters
    nothing)."""
    visible = submissions_visible_to(user=user)
    if lab:
        groups = Membership.objects.filter(user=user).exclude(group=None).values("group_id")
        mine = visible.filter(group_id__in=groups).exclude(owner=user)
    else:
        mine = visible.filter(owner=user)
    if q:
        mine = mine.filter(Q(title__icontains=q) | Q(accession__iexact=q))
    if status in SubmissionStatus.values:
        mine = mine.filter(status=status)
    return mine.order_by("-updated_at", "-created_at")


def get_submission(*, user: User, submission_id: str) -> Submission:
    """The submission if the user may see it; NotFound (404) otherwise, never 403."""
    try:
        return submissions_visible_to(user=user).get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        # A malformed id is as unknown as someone else's: same answer, nothing leaks.
        raise NotFound("No such submission.") from None


def submission_timeline(*, submission: Submission) -> QuerySet[SubmissionEvent]:
    return submission.events.select_related("actor").order_by("created_at", "id")


S = SubmissionStatus
# The statuses whose processing page has something to show.
PROCESSING_STATES = frozenset({S.APPROVED, S.PROCESSING, S.PUBLISHED, S.PROCESSING_FAILED})


@dataclass(frozen=True)
class NextStep:
    """One line about what happens next, and which page it links to.

    `page` is "edit", "review", "processing", "landing" or "" (no link); the template turns it
    into a URL. `act` is True when the researcher is the one who has to do something.
    """

    text: str
    page: str = ""
    act: bool = False


@dataclass(frozen=True)
class DashboardRow:
    submission: Submission
    next_step: NextStep


def _open_point_counts(ids: list[Any]) -> dict[Any, int]:
    rows = (
        ChangeRequestPoint.objects.filter(
            change_request__submission_id__in=ids, change_request__resolved_at=None
        )
        .order_by()
        .values("change_request__submission_id")
        .annotate(n=Count("pk"))
    )
    return {row["change_request__submission_id"]: row["n"] for row in rows}


def _progress(ids: list[Any]) -> dict[Any, float]:
    rows = (
        ConversionJob.objects.filter(submission_id__in=ids)
        .order_by()
        .values("submission_id")
        .annotate(p=Avg("progress"))
    )
    return {row["submission_id"]: row["p"] or 0.0 for row in rows}


def _points(n: int) -> str:
    if n == 0:
        return "Changes requested — read the curator's message"
    return f"Changes requested — {n} point{'s' if n != 1 else ''}"


def next_step(submission: Submission, *, points: int = 0, progress: float = 0.0) -> NextStep:
    """What the owner of `submission` should expect or do, from its status alone plus the
    number of open change-request points and the processing progress (0..1)."""
    status = submission.status
    if status == S.DRAFT:
        return NextStep("Draft — finish the description and submit", "edit", act=True)
    if status in (S.SUBMITTED, S.IN_REVIEW):
        return NextStep("Waiting for review" if status == S.SUBMITTED else "In review", "review")
    if status == S.CHANGES_REQUESTED:
        return NextStep(_points(points), "review", act=True)
    if status == S.APPROVED:
        return NextStep("Approved — processing starts soon", "processing")
    if status == S.PROCESSING:
        return NextStep(f"Processing {round(progress * 100)}%", "processing")
    if status == S.PROCESSING_FAILED:
        return NextStep("Processing failed — see what happens next", "processing")
    if status == S.PUBLISHED and submission.accession:
        return NextStep(f"Published — {submission.accession}", "landing")
    if status == S.REJECTED:
        return NextStep("Rejected — read the curator's reason", "review")
    return NextStep(str(submission.get_status_display()))


def dashboard_rows(*, submissions: Iterable[Submission]) -> list[DashboardRow]:
    """Each submission with its next step, in two queries whatever the number of rows.

    `submissions` must already be scoped to the viewer (selectors.submissions_visible_to)."""
    rows = list(submissions)
    asked = [s.pk for s in rows if s.status == S.CHANGES_REQUESTED]
    running = [s.pk for s in rows if s.status == S.PROCESSING]
    points = _open_point_counts(asked) if asked else {}
    progress = _progress(running) if running else {}
    return [
        DashboardRow(s, next_step(s, points=points.get(s.pk, 0), progress=progress.get(s.pk, 0.0)))
        for s in rows
    ]
