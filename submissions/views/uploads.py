"""The files page of a submission: the uploader (Uppy) and the list of files with fixity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from submissions import selectors, selectors_uploads
from submissions.auth import user_of
from submissions.models import FileStatus
from submissions.services.lifecycle import EDITABLE_STATUSES
from submissions.services.permissions import can_edit
from submissions.services.uploads import remove_file


@login_required
@require_GET
def submission_files(request: HttpRequest, pk: str) -> HttpResponse:
    user = user_of(request)
    submission = selectors.get_submission(user=user, submission_id=pk)
    files = selectors_uploads.files_of_submission(submission=submission)
    context = {
        "submission": submission,
        "files": files,
        "can_upload": can_edit(user=user, submission=submission)
        and submission.status in EDITABLE_STATUSES,
        "verifying": any(f.status == FileStatus.UPLOADED for f in files),
    }
    if request.headers.get("HX-Request"):
        return render(request, "uploads/_file_table.html", context)
    return render(request, "uploads/files.html", context)


@login_required
@require_POST
def remove_submission_file(request: HttpRequest, pk: str, file_id: str) -> HttpResponse:
    user = user_of(request)
    submission = selectors.get_submission(user=user, submission_id=pk)
    datafile = selectors_uploads.files_of_submission(submission=submission).filter(pk=file_id)
    found = datafile.first()
    if found is not None and remove_file(datafile=found, user=user):
        messages.success(request, f"{found.name} was removed; its storage was freed.")
    else:
        messages.info(request, "That file had already been removed.")
    return redirect("submission-files", pk=submission.pk)
