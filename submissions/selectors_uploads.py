"""Permission-scoped reads for uploads: an upload is seen and touched only by its uploader."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from submissions.models import DataFile, FileStatus, Submission, User
from submissions.services.exceptions import NotFound


def uploads_of(*, user: User, submission: Submission | None = None) -> QuerySet[DataFile]:
    if not user.is_authenticated:
        return DataFile.objects.none()
    files = DataFile.objects.filter(uploader=user).exclude(status=FileStatus.ABORTED)
    if submission is not None:
        files = files.filter(submission=submission)
    return files.select_related("submission").order_by("name", "created_at")


def get_upload(*, user: User, upload_id: str) -> DataFile:
    """The user's own upload; NotFound (404) for anyone else's and for malformed ids."""
    try:
        return DataFile.objects.select_related("submission", "reservation").get(
            pk=upload_id, uploader=user
        )
    except (DataFile.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound("No such upload.") from None


def files_of_submission(*, submission: Submission) -> QuerySet[DataFile]:
    """Every file of a submission the caller may already see (check with get_submission)."""
    return submission.files.exclude(status=FileStatus.ABORTED).order_by("name", "created_at")
