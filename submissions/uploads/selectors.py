"""Permission-scoped reads for uploads.

An upload in progress is seen and touched only by its uploader. A file's fixity receipt is for
everyone who may see the submission (its owner, their group, the facility's curators).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from submissions.accounts.models import User
from submissions.core.errors import NotFound
from submissions.lifecycle.models import Submission
from submissions.lifecycle.selectors import submissions_visible_to
from submissions.uploads.models import DataFile, FileStatus


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


def get_visible_file(*, user: User, file_id: str) -> DataFile:
    """A file of a submission the user may see; NotFound (404) otherwise, never 403."""
    visible = submissions_visible_to(user=user).values("pk")
    try:
        return (
            DataFile.objects.select_related("submission")
            .exclude(status=FileStatus.ABORTED)
            .get(pk=file_id, submission_id__in=visible)
        )
    except (DataFile.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound("No such file.") from None


def files_of_submission(*, submission: Submission) -> QuerySet[DataFile]:
    """Every file of a submission the caller may already see (check with get_submission)."""
    return submission.files.exclude(status=FileStatus.ABORTED).order_by("name", "created_at")
