"""E-mail about comments, so a question in the review thread does not wait unread.

A comment from the researcher goes to the curator reviewing the submission (every curator of
the facility while nobody has claimed it); a comment from a curator goes to the researcher.
Nobody is mailed about their own comment, and "comment" can be muted like any other kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from submissions.models import NotificationKind, ReviewComment, User
from submissions.services import notifications
from submissions.services.permissions import can_curate


def notify_comment(*, comment: ReviewComment) -> None:
    """Queue the mail for `comment` once the current transaction commits."""
    from submissions.tasks import send_comment_mail

    comment_id = comment.pk
    transaction.on_commit(lambda: send_comment_mail.delay(comment_id=comment_id))


def recipients(*, comment: ReviewComment) -> list[User]:
    submission = comment.submission
    author = comment.author
    from_curator = (
        author is not None
        and author.pk != submission.owner_id
        and can_curate(user=author, submission=submission)
    )
    if from_curator:
        people = [submission.owner]
    elif submission.assignee is not None:
        people = [submission.assignee]
    else:
        people = list(notifications.curators_of(facility_id=submission.facility_id))
    return [p for p in people if p.is_active and (author is None or p.pk != author.pk)]


def deliver(*, comment_id: int) -> int:
    """Send the mail of one comment to each recipient who has not muted it; idempotent."""
    comment = (
        ReviewComment.objects.select_related(
            "author", "file", "submission__owner", "submission__assignee", "submission__facility"
        )
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        return 0
    submission = comment.submission
    review_url = notifications.site_url(reverse("submission-review", args=[submission.pk]))
    context = {
        "comment": comment,
        "submission": submission,
        "author": comment.author.display_name if comment.author else "Someone",
        "comment_url": f"{review_url}#comment-{comment.pk}",
        "settings_url": notifications.site_url(reverse("notification-settings")),
        "site_url": settings.SITE_URL,
    }
    subject = f"New comment on {notifications.short_title(submission.title)}"
    sent = 0
    kind = NotificationKind.COMMENT
    for recipient in recipients(comment=comment):
        if kind in notifications.muted_kinds(user=recipient):
            continue
        if notifications.send_once(
            recipient=recipient,
            kind=kind,
            key=f"comment:{comment.pk}",
            submission=submission,
            subject=subject,
            template="mail/comment",
            context={**context, "recipient": recipient},
        ):
            sent += 1
    return sent
