"""Mail about comments, so a question in the review thread does not wait unread.

A comment from the researcher goes to the curator reviewing the submission (every curator of
the facility while nobody has claimed it); a comment from a curator goes to the researcher.
Nobody is mailed about their own comment, and "comment" can be muted like any other kind.
"""

from __future__ import annotations

from django.urls import reverse

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate
from submissions.notifications.models import NotificationKind
from submissions.notifications.services.mail import send_each, short_title, site_url
from submissions.notifications.services.submission_mail import curators_of
from submissions.review.models import ReviewComment


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
        people = list(curators_of(facility_id=submission.facility_id))
    return [p for p in people if p.is_active and (author is None or p.pk != author.pk)]


def deliver(*, comment_id: int) -> int:
    """Send the mail of one comment to each recipient; idempotent."""
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
    review_url = site_url(reverse("submission-review", args=[submission.pk]))
    return send_each(
        recipients=recipients(comment=comment),
        kind=NotificationKind.COMMENT,
        key=f"comment:{comment.pk}",
        subject=f"New comment on {short_title(submission.title)}",
        template="comment",
        context={
            "comment": comment,
            "submission": submission,
            "facility": submission.facility,
            "author": comment.author.display_name if comment.author else "Someone",
            "comment_url": f"{review_url}#comment-{comment.pk}",
        },
        submission=submission,
    )
