"""What must hold before a curator may approve: every image has a review copy to publish.

Approval publishes the review copies made at submit (processing.review_copies); an image
whose conversion failed because of the file cannot be published, so approval is refused
until the researcher replaces or removes it.
"""

from __future__ import annotations

from submissions.core.errors import PortalError
from submissions.lifecycle.models import Submission


class ImagesNotConverted(PortalError):
    http_status = 409
    code = "conversion_failed"
    default_message = "An image of this submission could not be converted."


def require_convertible(locked: Submission) -> None:
    """Approval publishes the review copies: an image whose conversion failed because of the
    file cannot be published. (Read through the reverse relation: review sits below
    processing and imports nothing of it.)"""
    failed = locked.conversion_jobs.filter(
        state="failed", error_kind="user", data_file__isnull=False
    ).select_related("data_file")
    names = [job.data_file.name for job in failed[:5] if job.data_file is not None]
    if names:
        raise ImagesNotConverted(
            f"{', '.join(names)} could not be converted, so the dataset cannot be published "
            "as it is. Request changes: the researcher has been told what to fix."
        )
