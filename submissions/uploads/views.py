"""The files page of a submission (the uploader and the list of files with fixity), and the
endpoint that takes one part's bytes with folder storage."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from submissions.accounts.permissions import can_edit
from submissions.core import serve, storage
from submissions.core.auth import user_of
from submissions.core.errors import NotFound, PortalError
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.lifecycle.services import EDITABLE_STATUSES, frozen_reason
from submissions.review import selectors as review_selectors
from submissions.uploads import selectors, services
from submissions.uploads.body import part_body
from submissions.uploads.models import FileStatus
from submissions.uploads.services import remove_file, retention
from submissions.uploads.services.backends import read_token
from submissions.uploads.services.errors import FileDeleted, FileNotStored


@login_required
@require_GET
def submission_files(request: HttpRequest, pk: str) -> HttpResponse:
    user = user_of(request)
    submission = lifecycle_selectors.get_submission(user=user, submission_id=pk)
    files = selectors.files_of_submission(submission=submission)
    frozen = frozen_reason(submission=submission, viewer=user)
    context = {
        "submission": submission,
        "files": files,
        "frozen": frozen,
        "can_upload": can_edit(user=user, submission=submission)
        and submission.status in EDITABLE_STATUSES
        and not frozen,
        "verifying": any(f.status == FileStatus.UPLOADED for f in files),
        # Rejected or withdrawn: until when the files are kept, or when they were deleted.
        "retention": retention.notice(submission=submission),
        # The curators' open points about each file (with a viewer screenshot, if any), so
        # the researcher reads them where the file is replaced.
        "open_points": review_selectors.open_change_requests(submission),
    }
    if request.headers.get("HX-Request"):
        # The table changes as files arrive or go, and the staging meter with it.
        context["refresh_meter"] = context["can_upload"]
        return render(request, "uploads/_file_table.html", context)
    return render(request, "uploads/files.html", context)


@login_required
@require_safe
def download_submission_file(request: HttpRequest, pk: str, file_id: str) -> HttpResponseBase:
    """The original bytes of one file, for whoever may see the submission (404 otherwise);
    410 once retention deleted them."""
    submission = lifecycle_selectors.get_submission(user=user_of(request), submission_id=pk)
    data_file = selectors.files_of_submission(submission=submission).filter(pk=file_id).first()
    if data_file is None:
        raise NotFound("No such file.")
    if data_file.purged_at is not None:
        gone = retention.notice(submission=submission)
        raise FileDeleted(gone.sentence() if gone else FileDeleted.default_message)
    if not retention.can_download(data_file=data_file):
        raise FileNotStored()
    staging = storage.staging()
    url = storage.download_url(storage=staging, key=data_file.storage_key, filename=data_file.name)
    if url is not None:
        return HttpResponseRedirect(url)  # presigned, short-lived
    response = serve.serve_private(
        request, storage=staging, key=data_file.storage_key, content_type="application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(True, data_file.name)
    return response


@login_required
@require_POST
def remove_submission_file(request: HttpRequest, pk: str, file_id: str) -> HttpResponse:
    user = user_of(request)
    submission = lifecycle_selectors.get_submission(user=user, submission_id=pk)
    datafile = selectors.files_of_submission(submission=submission).filter(pk=file_id)
    found = datafile.first()
    if found is not None and remove_file(datafile=found, user=user):
        messages.success(request, f"{found.name} was removed; its storage was freed.")
    else:
        messages.info(request, "That file had already been removed.")
    return redirect("submission-files", pk=submission.pk)


EXPIRED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message></Error>"
)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)


@csrf_exempt
@require_http_methods(["PUT"])
def receive_part(request: HttpRequest, pk: str, number: int) -> HttpResponse:
    try:
        signed = read_token(request.GET.get("token", ""))
    except signing.SignatureExpired:
        # S3's wording: Uppy and the CLI recognise it and fetch a fresh URL.
        return HttpResponse(EXPIRED, status=403, content_type="application/xml")
    except signing.BadSignature:
        return _error(403, "bad_signature", "This part URL is not valid; ask for a new one.")
    if signed.get("f") != str(pk) or signed.get("n") != number:
        return _error(403, "bad_signature", "This part URL was signed for another part.")
    try:
        length = int(request.headers.get("Content-Length", ""))
        etag = services.receive_part(
            datafile_id=str(pk),
            number=number,
            checksum=str(signed["c"]),
            body=part_body(request),  # straight from the connection under gunicorn
            content_length=length,
        )
    except ValueError:
        return _error(411, "length_required", "Send the part with a Content-Length header.")
    except PortalError as exc:
        return _error(exc.http_status, exc.code, exc.message)
    response = HttpResponse(status=200)
    response["ETag"] = etag
    return response
