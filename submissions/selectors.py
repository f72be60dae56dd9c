"""Permission-scoped reads. Views and API views never build a scoped queryset themselves."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet

from submissions.models import (
    Facility,
    Membership,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
    User,
)
from submissions.services.exceptions import NotFound
from submissions.services.permissions import CURATING_ROLES, visibility_filter


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


def facilities_of(*, user: User) -> QuerySet[Facility]:
    return Facility.objects.filter(memberships__user=user).distinct()


def curated_facilities(*, user: User) -> QuerySet[Facility]:
    if user.is_superuser:
        return Facility.objects.all()
    return Facility.objects.filter(
        memberships__user=user, memberships__role__in=CURATING_ROLES
    ).distinct()


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("facility", "group")
