"""Processing progress for the researcher and the curator, and the retry button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from submissions import selectors
from submissions import selectors_processing as processing_selectors
from submissions.auth import user_of
from submissions.services.processing import retry_processing


def _context(request: HttpRequest, submission_id: str) -> dict[str, object]:
    user = user_of(request)
    submission = selectors.get_submission(user=user, submission_id=submission_id)
    return {
        "processing": processing_selectors.processing_view(submission=submission, user=user),
        "files": processing_selectors.inspected_files(submission=submission),
    }


@login_required
@require_GET
def page(request: HttpRequest, submission_id: str) -> HttpResponse:
    return render(request, "submissions/processing.html", _context(request, submission_id))


@login_required
@require_GET
def partial(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The htmx-polled fragment: re-rendered every few seconds while work is active."""
    return render(request, "submissions/_processing.html", _context(request, submission_id))


@login_required
@require_POST
def retry(request: HttpRequest, submission_id: str) -> HttpResponse:
    user = user_of(request)
    submission = selectors.get_submission(user=user, submission_id=submission_id)
    retry_processing(submission=submission, user=user)
    messages.success(request, "Processing was started again.")
    return redirect("submission-processing", submission_id=submission.pk)
