"""E-mail about submissions: who is told what, rendered from templates, sent once per trigger.

Public interface for other code (processing, publishing):

    notifications.notify(submission=s, kind=NotificationKind.PROCESSING_FAILED, note="...")

Status transitions already notify (see `register`), so code that moves a submission through
`lifecycle.transition` need not call `notify` too; a second call for the same transition is
deduplicated. Call it yourself for news that is not a transition (e.g. a failed retry), with a
`key` of your own so each piece of news is sent once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from submissions.models import (
    Membership,
    NotificationKind,
    NotificationPreference,
    Role,
    SentNotification,
    Submission,
    SubmissionStatus,
    User,
)
from submissions.services import lifecycle
from submissions.services.exceptions import ValidationFailed
from submissions.services.permissions import CURATING_ROLES

K = NotificationKind
S = SubmissionStatus

# The transitions that send mail, and the kind of mail each sends.
STATUS_KINDS: dict[str, str] = {
    S.SUBMITTED: K.SUBMITTED,
    S.CHANGES_REQUESTED: K.CHANGES_REQUESTED,
    S.APPROVED: K.APPROVED,
    S.REJECTED: K.REJECTED,
    S.PUBLISHED: K.PUBLISHED,
    S.PROCESSING_FAILED: K.PROCESSING_FAILED,
}
SUBJECTS: dict[str, str] = {
    K.SUBMITTED: "Waiting for review: {title}",
    K.CHANGES_REQUESTED: "Changes requested: {title}",
    K.APPROVED: "Approved: {title}",
    K.REJECTED: "Not accepted: {title}",
    K.PUBLISHED: "Published as {accession}: {title}",
    K.PROCESSING_FAILED: "Processing failed: {title}",
}
WAITING_STATUSES = (S.SUBMITTED, S.IN_REVIEW)
DIGEST_LIMIT = 20


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- Preferences ------------------------------------------------------------------------


def muted_kinds(*, user: User) -> set[str]:
    preference = NotificationPreference.objects.filter(user=user).first()
    return set(preference.muted) if preference else set()


def set_muted_kinds(*, user: User, muted: Iterable[str]) -> NotificationPreference:
    chosen = sorted(set(muted))
    unknown = [kind for kind in chosen if kind not in K.values]
    if unknown:
        raise ValidationFailed(fields={"muted": [f"Unknown kind of mail: {unknown[0][:40]}."]})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"muted": chosen}
    )
    return preference


# --- Triggers ---------------------------------------------------------------------------


def notify(*, submission: Submission, kind: str, note: str = "", key: str | None = None) -> None:
    """E-mail everyone concerned by `kind` about `submission`, after the current transaction
    commits. Without `key` the trigger is the submission's latest transition to that state."""
    if kind not in STATUS_KINDS.values():
        raise ValueError(f"not a submission notification: {kind}")
    from submissions.tasks import send_submission_mail

    submission_id = str(submission.pk)

    def enqueue() -> None:
        send_submission_mail.delay(submission_id=submission_id, kind=kind, key=key, note=note)

    transaction.on_commit(enqueue)


def _on_transition(submission: Submission, from_status: str, to_status: str) -> None:
    kind = STATUS_KINDS.get(to_status)
    if kind is not None:
        notify(submission=submission, kind=kind)


def register() -> None:
    lifecycle.on_transition(_on_transition)


# --- Delivery (run by the Celery task) ---------------------------------------------------


def deliver(*, submission_id: str, kind: str, key: str | None = None, note: str = "") -> int:
    """Send the mail of one trigger to each recipient who has not muted it; idempotent.

    Returns how many messages were sent by this call.
    """
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
        "kind": kind,
        "note": note or (event.note if event else ""),
        "actor": event.actor if event else None,
        "points": _open_points(submission) if kind == K.CHANGES_REQUESTED else [],
        "review_url": site_url(reverse("submission-review", args=[submission.pk])),
        "queue_url": site_url(reverse("curation-queue", args=[submission.facility.slug])),
        "settings_url": site_url(reverse("notification-settings")),
        "site_url": settings.SITE_URL,
    }
    subject = SUBJECTS[kind].format(
        title=short_title(submission.title), accession=submission.accession or ""
    )
    sent = 0
    for recipient in recipients(submission=submission, kind=kind):
        if kind in muted_kinds(user=recipient):
            continue
        if send_once(
            recipient=recipient,
            kind=kind,
            key=key,
            submission=submission,
            subject=subject,
            template=f"mail/{kind}",
            context={**context, "recipient": recipient},
        ):
            sent += 1
    return sent


def recipients(*, submission: Submission, kind: str) -> list[User]:
    if kind == K.SUBMITTED:
        if submission.assignee is not None:
            return [submission.assignee]
        return list(curators_of(facility_id=submission.facility_id))
    people = [submission.owner]
    if kind == K.PROCESSING_FAILED:
        admins = User.objects.filter(
            memberships__facility_id=submission.facility_id,
            memberships__role=Role.FACILITY_ADMIN,
            is_active=True,
        ).exclude(pk=submission.owner_id)
        people.extend(admins)
    return [person for person in people if person.is_active]


def curators_of(*, facility_id: int) -> Iterable[User]:
    return User.objects.filter(
        memberships__facility_id=facility_id,
        memberships__role__in=CURATING_ROLES,
        is_active=True,
    ).order_by("pk")


def _open_points(submission: Submission) -> list[Any]:
    from submissions.selectors_review import open_change_request

    change_request = open_change_request(submission=submission)
    return list(change_request.points.all()) if change_request else []


def short_title(title: str) -> str:
    return title if len(title) <= 80 else title[:77] + "…"


def send_once(
    *,
    recipient: User,
    kind: str,
    key: str,
    submission: Submission | None,
    subject: str,
    template: str,
    context: dict[str, Any],
) -> bool:
    """Record, then send; a failed send removes the record so a retry sends again."""
    try:
        with transaction.atomic():
            record = SentNotification.objects.create(
                recipient=recipient, kind=kind, key=key, submission=submission, subject=subject
            )
    except IntegrityError:
        return False  # this trigger already reached this person
    try:
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{template}.txt", context),
            to=[recipient.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()
    except Exception:
        record.delete()
        raise
    return True


# --- The daily digest for curators --------------------------------------------------------


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
        if K.DIGEST in muted_kinds(user=curator):
            continue
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
        mine = waiting.filter(Q(assignee=curator)).count()
        context = {
            "recipient": curator,
            "total": total,
            "mine": mine,
            "unassigned": waiting.filter(assignee=None).count(),
            "rows": [
                {
                    "submission": s,
                    "url": site_url(reverse("submission-review", args=[s.pk])),
                }
                for s in oldest
            ],
            "queue_url": site_url(reverse("curation-home")),
            "settings_url": site_url(reverse("notification-settings")),
            "site_url": settings.SITE_URL,
        }
        if send_once(
            recipient=curator,
            kind=K.DIGEST,
            key=f"digest:{today.isoformat()}",
            submission=None,
            subject=f"{total} submission{'s' if total != 1 else ''} waiting for review",
            template="mail/digest",
            context=context,
        ):
            sent += 1
    return sent
