"""Who may decide on a submission: a curator of its facility who neither owns it nor is one of
its REMBI authors, unless the facility allows self-review (`Facility.allow_self_review`, for
small facilities with a single curator). A self-review that is allowed is written into the
timeline beside the decision. Approve, reject and request changes all check here, whichever
way they are called (page, API, shell)."""

from __future__ import annotations

from submissions.accounts.models import User
from submissions.accounts.permissions import is_own_work
from submissions.core.errors import PermissionDenied
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission


class SelfReviewRefused(PermissionDenied):
    code = "self_review"


def _refusal(submission: Submission) -> str:
    facility = submission.facility.name
    return (
        f"You own or co-author this submission, so another curator of {facility} must decide "
        f"on it. (An administrator of {facility} can allow curators to review their own "
        "submissions in the facility's settings.)"
    )


def self_review_refusal(*, submission: Submission, curator: User) -> str:
    """Why `curator` may not decide on `submission` ("" if they may), for the review page."""
    if submission.facility.allow_self_review or not is_own_work(
        user=curator, submission=submission
    ):
        return ""
    return _refusal(submission)


def require_decider(*, submission: Submission, curator: User) -> bool:
    """Refuse anyone who may not decide on `submission`; returns whether this is an allowed
    self-review, which the caller records with `record_self_review`."""
    lifecycle.require_curator(user=curator, submission=submission)
    own = is_own_work(user=curator, submission=submission)
    if own and not submission.facility.allow_self_review:
        raise SelfReviewRefused(_refusal(submission))
    return own


def record_self_review(*, submission: Submission, curator: User, decision: str) -> None:
    lifecycle.record_event(
        submission=submission,
        actor=curator,
        kind="self_review",
        note=(
            f"{curator.display_name} {decision} a submission they own or co-author; "
            f"{submission.facility.name} allows curators to review their own submissions."
        ),
    )
