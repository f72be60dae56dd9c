"""What must hold before a curator may approve, said once for the service and the page.

`approval_blocks` lists every reason approval would be refused now, each in plain words
with what can be done about it; the review page shows them instead of an Approve button,
the review API lists them (`approval_blocks`, `can_approve`), and `require_approvable` (the
approve service's check, on the locked row) raises the first one as its error. The reasons,
in the order the service meets them, each with its stable code (`BLOCK_CODES`):

- the person asking does not curate the submission's facility (only that is said then);
- the submission is not waiting for a decision (submitted or in review);
- the curator owns or co-authors it and the facility does not allow self-review;
- an image's review copy failed because of the file: approval publishes the review copies
  made at submit (processing.review_copies), so it waits until the researcher replaces or
  removes that file;
- the converted dataset would not fit under an archive hard limit.

A review copy still being made does not block: processing publishes it once it is ready.
The archive check here reads without a lock; `quotas.services.datasets.reserve_archive`
holds the bytes under one in the same transaction, so a race still ends in a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate
from submissions.core.errors import InvalidTransition, PermissionDenied, PortalError, QuotaExceeded
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.lifecycle.services import ALLOWED
from submissions.quotas.services import datasets as quota_datasets
from submissions.review.self_review import SelfReviewRefused, self_review_refusal


class ImagesNotConverted(PortalError):
    http_status = 409
    code = "conversion_failed"
    default_message = "An image of this submission could not be converted."


@dataclass(frozen=True)
class ApprovalBlock:
    """One reason approval is refused now: what stops it, and what someone can do."""

    code: str
    reason: str
    remedy: str = ""
    files: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return f"{self.reason} {self.remedy}".strip()


def failed_images(submission: Submission) -> list[str]:
    """Names of the files whose review copy failed because of the file. (Read through the
    reverse relation: review sits below processing and imports nothing of it.)"""
    failed = submission.conversion_jobs.filter(
        state="failed", error_kind="user", data_file__isnull=False
    ).select_related("data_file")
    return [job.data_file.name for job in failed.order_by("data_file__name") if job.data_file]


def _listed(names: list[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def approval_blocks(*, submission: Submission, curator: User) -> list[ApprovalBlock]:
    """Every reason `approve` would refuse `curator` now; empty when it would go through.
    Someone who does not curate the submission's facility is told only that."""
    if not can_curate(user=curator, submission=submission):
        return [
            ApprovalBlock(
                code=PermissionDenied.code,
                reason=f"Only a curator of {submission.facility.name} can approve it.",
            )
        ]
    blocks = []
    if SubmissionStatus.APPROVED not in ALLOWED[submission.status]:
        blocks.append(
            ApprovalBlock(
                code=InvalidTransition.code,
                reason=(
                    f"A submission that is {submission.get_status_display().lower()} "
                    "cannot become approved."
                ),
            )
        )
    own = self_review_refusal(submission=submission, curator=curator)
    if own:
        blocks.append(ApprovalBlock(code=SelfReviewRefused.code, reason=own))
    names = failed_images(submission)
    if names:
        blocks.append(
            ApprovalBlock(
                code=ImagesNotConverted.code,
                reason=(
                    f"{_listed(names)} could not be converted, so the dataset cannot be "
                    "published as it is."
                ),
                remedy=(
                    f"Request changes so the researcher replaces or removes "
                    f"{'it' if len(names) == 1 else 'them'}; they have been told what is wrong."
                ),
                files=tuple(names),
            )
        )
    archive = quota_datasets.archive_refusal(submission=submission)
    if archive:
        blocks.append(ApprovalBlock(code=QuotaExceeded.code, reason=archive))
    return blocks


_ERRORS: dict[str, type[PortalError]] = {
    PermissionDenied.code: PermissionDenied,
    InvalidTransition.code: InvalidTransition,
    SelfReviewRefused.code: SelfReviewRefused,
    ImagesNotConverted.code: ImagesNotConverted,
    QuotaExceeded.code: QuotaExceeded,
}


# Every code an ApprovalBlock can carry (the API's enum), in the order they are met.
BLOCK_CODES = list(_ERRORS)


def require_approvable(*, submission: Submission, curator: User) -> None:
    """The approve service's check: raise the first block as its error (its HTTP status
    and code), with the same words the review page shows."""
    blocks = approval_blocks(submission=submission, curator=curator)
    if blocks:
        raise _ERRORS[blocks[0].code](blocks[0].message)
