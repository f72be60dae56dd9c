"""Mail about submissions: who is told of each step, and the curators' daily digest.

- submitted: the assigned curator, or every curator of the facility while nobody has it;
- changes requested, approved, rejected, withdrawn, published: the researcher (rejected and
  withdrawn say until when the uploaded files are kept);
- released (the embargo ended): the researcher and the facility's curators;
- processing failed: the researcher and the facility admins;
- an image could not be converted for review (before any decision): the researcher when the
  file is at fault; the facility admins, once per image, when the failure was ours;
- the daily digest: each curator, with what waits in their facilities.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from submissions.accounts.models import Membership, Role, User
from submissions.accounts.permissions import CURATING_ROLES
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.notifications.services.mail import send, send_each, short_title, site_url
from submissions.review.selectors import open_change_request
from submissions.uploads.services import retention

K = NotificationKind
S = SubmissionStatus

SUBJECTS: dict[str, str] = {
    K.SUBMITTED: "Waiting for review: {title}",
    K.CHANGES_REQUESTED: "Changes requested: {title}",
    K.APPROVED: "Approved: {title}",
    K.REJECTED: "Not accepted: {title}",
    K.WITHDRAWN: "Withdrawn: {title}",
    K.PUBLISHED: "Published as {accession}: {title}",
    K.RELEASED: "Now public: {accession}, {title}",
    K.PROCESSING_FAILED: "Processing failed: {title}",
    K.REVIEW_COPY_FAILED: "An image could not be converted: {title}",
    K.REVIEW_COPY_ERROR: "Conversion failed on Aperture's side: {title}",
}
WAITING_STATUSES = (S.SUBMITTED, S.IN_REVIEW)
DIGEST_LIMIT = 20


def deliver(*, submission_id: str, kind: str, key: str | None = None, note: str = "") -> int:
    """Send the mail of one step to everyone concerned; idempotent. Without `key`, the
    trigger is the submission's latest change to the state `kind` names."""
    if kind not in SUBJECTS:
        raise ValueError(f"not a submission notification: {kind}")
    submission = (
        Submission.objects.select_related("owner", "facility", "assignee")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return 0
    event = None
    if key is None:
        event = (
            submission.events.filter(kind="status", to_status=kind)
            .select_related("actor")
            .order_by("-created_at", "-id")
            .first()
        )
        changed = submission.status_changed_at.timestamp()
        key = f"event:{event.pk}" if event else f"{kind}:{changed:.0f}"
    context = {
        "submission": submission,
        "facility": submission.facility,
        "kind": kind,
        "note": note or (event.note if event else ""),
        "actor": event.actor if event else None,
        "points": _open_points(submission) if kind == K.CHANGES_REQUESTED else [],
        "review_url": site_url(reverse("submission-review", args=[submission.pk])),
        "submission_url": site_url(reverse("submission-detail", args=[submission.pk])),
        "files_url": site_url(reverse("submission-files", args=[submission.pk])),
        # Rejected or withdrawn: the day the uploaded files are deleted.
        "files_deleted_on": _deletion_day(submission),
        "queue_url": site_url(reverse("review-queue", args=[submission.facility.slug])),
        # A published dataset is announced with its public address, not the private review.
        "landing_url": (
            site_url(reverse("dataset-landing", args=[submission.accession]))
            if submission.accession
            else ""
        ),
    }
    subject = SUBJECTS[kind].format(
        title=short_title(submission.title), accession=submission.accession or ""
    )
    return send_each(
        recipients=recipients(submission=submission, kind=kind),
        kind=kind,
        key=key,
        subject=subject,
        template=kind,
        context=context,
        submission=submission,
    )


def recipients(*, submission: Submission, kind: str) -> list[User]:
    if kind == K.SUBMITTED:
        if submission.assignee is not None:
            return [submission.assignee]
        return list(curators_of(facility_id=submission.facility_id))
    if kind == K.REVIEW_COPY_ERROR:
        return list(admins_of(facility_id=submission.facility_id))
    people = [submission.owner]
    if kind == K.PROCESSING_FAILED:
        people.extend(admins_of(facility_id=submission.facility_id).exclude(pk=submission.owner_id))
    if kind == K.RELEASED:
        people.extend(
            curator
            for curator in curators_of(facility_id=submission.facility_id)
            if curator.pk != submission.owner_id
        )
    return [person for person in people if person.is_active]


def _deletion_day(submission: Submission) -> str:
    deleted_on = retention.files_kept_until(submission=submission)
    return retention.human_date(deleted_on) if deleted_on else ""


def curators_of(*, facility_id: int) -> Iterable[User]:
    return User.objects.filter(
        memberships__facility_id=facility_id,
        memberships__role__in=CURATING_ROLES,
        is_active=True,
    ).order_by("pk")


def admins_of(*, facility_id: int) -> Any:
    return User.objects.filter(
        memberships__facility_id=facility_id,
        memberships__role=Role.FACILITY_ADMIN,
        is_active=True,
    ).order_by("pk")


def _open_points(submission: Submission) -> list[Any]:
    change_request = open_change_request(submission=submission)
    return list(change_request.points.all()) if change_request else []


def send_daily_digest(*, today: datetime.date | None = None) -> int:
    """Each curator who has not muted it gets the submissions waiting in their facilities."""
    today = today or timezone.localdate()
    sent = 0
    curators = (
        User.objects.filter(memberships__role__in=CURATING_ROLES, is_active=True)
        .distinct()
        .order_by("pk")
    )
    for curator in curators:
        facility_ids = Membership.objects.filter(user=curator, role__in=CURATING_ROLES).values_list(
            "facility_id", flat=True
        )
        waiting = Submission.objects.filter(
            facility_id__in=list(facility_ids), status__in=WAITING_STATUSES
        )
        total = waiting.count()
        if not total:
            continue
        oldest = list(
            waiting.select_related("owner", "facility", "assignee").order_by("submitted_at", "pk")[
                :DIGEST_LIMIT
            ]
        )
        context = {
            "total": total,
            "mine": waiting.filter(Q(assignee=curator)).count(),
            "unassigned": waiting.filter(assignee=None).count(),
            "rows": [
                {"submission": s, "url": site_url(reverse("submission-review", args=[s.pk]))}
                for s in oldest
            ],
            "queue_url": site_url(reverse("review-home")),
        }
        sent += send(
            to=curator,
            kind=K.DIGEST,
            key=f"digest:{today.isoformat()}",
            subject=f"{total} submission{'s' if total != 1 else ''} waiting for review",
            template="digest",
            context=context,
        )
    return sent
