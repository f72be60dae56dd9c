"""The review page of one submission: curators decide, the researcher answers, both talk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from submissions import selectors, selectors_review
from submissions.auth import user_of
from submissions.forms_review import (
    AssignForm,
    ChangeRequestForm,
    CommentForm,
    FixFieldsForm,
    NoteForm,
    PointFormSet,
    RejectForm,
    apply_errors,
    change_points,
)
from submissions.models import Submission, SubmissionStatus, User
from submissions.services import lifecycle, review
from submissions.services import submissions as submission_services
from submissions.services.exceptions import PortalError, ValidationFailed
from submissions.services.field_paths import get_path
from submissions.services.permissions import can_curate, can_edit
from submissions.services.review_diff import metadata_document

S = SubmissionStatus
DECIDABLE = (S.SUBMITTED, S.IN_REVIEW)


def _fix_values(submission: Submission, points: dict[str, Any]) -> dict[str, Any]:
    document = metadata_document(title=submission.title, metadata=submission.metadata or {})
    return {path: get_path(document, path) for path in points if path and ":" not in path}


def _page(request: HttpRequest, submission: Submission, status: int = 200, **bound: Any) -> Any:
    """Render the review page; `bound` replaces a blank form with one carrying errors."""
    user = user_of(request)
    files = list(selectors_review.files_of(submission=submission))
    curating = can_curate(user=user, submission=submission)
    owning = can_edit(user=user, submission=submission)
    open_request = selectors_review.open_change_request(submission=submission)
    points = selectors_review.points_by_target(open_request)
    curators = list(selectors_review.facility_curators(facility=submission.facility))
    context = {
        "submission": submission,
        "files": files,
        "curating": curating,
        "owning": owning,
        "can_decide": curating and submission.status in DECIDABLE,
        "can_edit": owning and submission.status in lifecycle.EDITABLE_STATUSES,
        "open_request": open_request,
        "open_points": points,
        "metadata": selectors_review.metadata_tree(
            metadata_document(title=submission.title, metadata=submission.metadata or {})
        ),
        "diff": selectors_review.changes_since_last_review(submission=submission),
        "past_requests": selectors_review.change_requests(submission=submission),
        "comments": selectors_review.comments(submission=submission),
        "timeline": selectors.submission_timeline(submission=submission),
        "mails": selectors_review.notifications_of(submission=submission),
        "field_paths": selectors_review.field_paths(submission=submission),
        "approve_form": NoteForm(),
        "reject_form": RejectForm(),
        "request_form": ChangeRequestForm(),
        "points_formset": PointFormSet(prefix="points", form_kwargs={"files": files}),
        "comment_form": CommentForm(files=files),
        "assign_form": AssignForm(
            curators=curators, initial={"assignee": submission.assignee_id or ""}
        ),
        "fix_form": FixFieldsForm(values=_fix_values(submission, points)),
        **bound,
    }
    return render(request, "review/review_page.html", context, status=status)


def _submission(request: HttpRequest, submission_id: str) -> tuple[User, Submission]:
    user = user_of(request)
    return user, selectors.get_submission(user=user, submission_id=submission_id)


def _act(
    request: HttpRequest,
    submission: Submission,
    action: Callable[[], object],
    *,
    done: str,
    anchor: str = "",
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    """Run one service call; a repeat (double click) or a taken review is a notice, not an
    error page; invalid input re-renders the page with the errors at the fields."""
    bound = bound or {}
    form = next(iter(bound.values()), None)
    try:
        action()
    except ValidationFailed as error:
        if isinstance(form, Form):
            apply_errors(form, error)
            return _page(request, submission, status=400, **bound)
        raise
    except PortalError as error:
        if error.http_status != 409:
            raise
        messages.warning(request, error.message)
        return redirect(reverse("submission-review", args=[submission.pk]) + anchor)
    messages.success(request, done)
    return redirect(reverse("submission-review", args=[submission.pk]) + anchor)


@login_required
def review_page(request: HttpRequest, submission_id: str) -> HttpResponse:
    _user, submission = _submission(request, submission_id)
    return _page(request, submission)


@login_required
def review_files(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The file table alone, polled by htmx while inspections and previews are coming."""
    _user, submission = _submission(request, submission_id)
    files = list(selectors_review.files_of(submission=submission))
    points = selectors_review.open_change_requests(submission)
    return render(
        request,
        "review/_files.html",
        {"submission": submission, "files": files, "open_points": points},
    )


@login_required
@require_POST
def claim(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    return _act(
        request,
        submission,
        lambda: review.claim(submission=submission, curator=user),
        done="You are reviewing this submission.",
    )


@login_required
@require_POST
def assign(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    curators = {
        str(c.pk): c for c in selectors_review.facility_curators(facility=submission.facility)
    }
    form = AssignForm(request.POST, curators=list(curators.values()))
    form.is_valid()
    assignee = curators.get(form.cleaned_data.get("assignee") or "")
    return _act(
        request,
        submission,
        lambda: review.assign(submission=submission, curator=user, assignee=assignee),
        done=f"Assigned to {assignee.display_name}." if assignee else "Nobody is assigned now.",
    )


@login_required
@require_POST
def approve(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = NoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    return _act(
        request,
        submission,
        lambda: lifecycle.approve(submission=submission, curator=user, note=note),
        done="Approved. The researcher is told by e-mail.",
        bound={"approve_form": form},
    )


@login_required
@require_POST
def reject(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = RejectForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    return _act(
        request,
        submission,
        lambda: lifecycle.reject(submission=submission, curator=user, reason=reason),
        done="Rejected. The researcher is told by e-mail.",
        bound={"reject_form": form},
    )


@login_required
@require_POST
def request_changes(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    files = list(selectors_review.files_of(submission=submission))
    form = ChangeRequestForm(request.POST)
    formset = PointFormSet(request.POST, prefix="points", form_kwargs={"files": files})
    form.is_valid()
    points = change_points(formset) if formset.is_valid() else []
    return _act(
        request,
        submission,
        lambda: review.request_changes(
            submission=submission,
            curator=user,
            message=form.cleaned_data.get("message", ""),
            points=points,
        ),
        done="Changes requested. The researcher is told by e-mail.",
        bound={"request_form": form, "points_formset": formset},
    )


@login_required
@require_POST
def comment(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = CommentForm(request.POST, files=list(selectors_review.files_of(submission=submission)))
    form.is_valid()
    data = form.cleaned_data
    return _act(
        request,
        submission,
        lambda: review.add_comment(
            submission=submission,
            author=user,
            body=data.get("body", ""),
            field_path=data.get("field", ""),
            file_id=data.get("file") or None,
        ),
        done="Comment posted.",
        anchor="#thread",
        bound={"comment_form": form},
    )


@login_required
@require_POST
def fix_fields(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    points = selectors_review.open_change_requests(submission)
    form = FixFieldsForm(request.POST, values=_fix_values(submission, points))
    form.is_valid()
    return _act(
        request,
        submission,
        lambda: review.update_fields(submission=submission, user=user, changes=form.changes()),
        done="Saved. Submit again when everything asked for is done.",
        anchor="#answer",
        bound={"fix_form": form},
    )


@login_required
@require_POST
def submit(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    return _act(
        request,
        submission,
        lambda: submission_services.submit(submission=submission, user=user),
        done="Submitted. The curators are told by e-mail.",
    )
