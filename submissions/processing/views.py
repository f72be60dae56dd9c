"""Processing progress for the researcher and the curator, and the retry button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST, require_safe

from submissions.core import keys, serve, storage
from submissions.core.auth import user_of
from submissions.core.errors import NotFound
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.processing import selectors
from submissions.processing.services import retry_processing
from submissions.uploads.services.errors import FileDeleted


def _context(request: HttpRequest, submission_id: str) -> dict[str, object]:
    user = user_of(request)
    submission = lifecycle_selectors.get_submission(user=user, submission_id=submission_id)
    return {
        "processing": selectors.processing_view(submission=submission, user=user),
        "files": selectors.inspected_files(submission=submission),
    }


@login_required
@require_GET
def page(request: HttpRequest, submission_id: str) -> HttpResponse:
    return render(request, "processing/processing.html", _context(request, submission_id))


@login_required
@require_GET
def partial(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The htmx-polled fragment: re-rendered every few seconds while work is active."""
    return render(request, "processing/_processing.html", _context(request, submission_id))


@login_required
@require_POST
def retry(request: HttpRequest, submission_id: str) -> HttpResponse:
    user = user_of(request)
    submission = lifecycle_selectors.get_submission(user=user, submission_id=submission_id)
    retry_processing(submission=submission, user=user)
    messages.success(request, "Processing was started again.")
    return redirect("submission-processing", submission_id=submission.pk)


@login_required
@require_GET
def file_preview(request: HttpRequest, submission_id: str, file_id: str) -> HttpResponseBase:
    """The preview inspection made of one file, for whoever may see the submission; 410
    once retention deleted it with the upload."""
    submission = lifecycle_selectors.get_submission(
        user=user_of(request), submission_id=submission_id
    )
    data_file = submission.files.filter(pk=file_id).first()
    if data_file is None or not data_file.inspection.get("preview"):
        raise NotFound("This file has no preview.")
    if data_file.purged_at is not None:
        raise FileDeleted("This file's preview was deleted with its uploaded bytes.")
    staging, key = (
        storage.staging(),
        keys.preview_key(submission_id=data_file.submission_id, file_id=data_file.pk),
    )
    url = storage.download_url(storage=staging, key=key)
    if url is not None:
        return HttpResponseRedirect(url)  # presigned, short-lived
    response = FileResponse(storage.open_object(storage=staging, key=key), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
def review_copy_object(
    request: HttpRequest, submission_id: str, file_id: str, path: str = ""
) -> HttpResponseBase:
    """One object of an image's review copy (staging), for the viewer on the review page:
    the submitter, their group and the facility's curators; 404 for anyone else, signed in
    or not, whole or by range."""
    if not request.user.is_authenticated:
        raise NotFound("No such object.")
    submission = lifecycle_selectors.get_submission(
        user=user_of(request), submission_id=submission_id
    )
    key = selectors.review_copy_key(submission=submission, file_id=str(file_id), path=path)
    return serve.serve_private(request, storage=storage.staging(), key=key)
