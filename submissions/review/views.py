"""Review pages: the curators' queue, and the review page of one submission, where curators
decide, the researcher answers and both talk."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate, can_edit
from submissions.core import serve, storage
from submissions.core.auth import user_of
from submissions.core.errors import NotFound, PortalError, ValidationFailed
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing import selectors as processing_selectors
from submissions.rembi import forms as rembi_form
from submissions.rembi import services as rembi
from submissions.rembi.services import fields as rembi_fields
from submissions.review import assignment, selectors, services
from submissions.review.forms import (
    AssignForm,
    ChangeRequestForm,
    CommentForm,
    NoteForm,
    PointFormSet,
    RejectForm,
    apply_errors,
    apply_point_errors,
    change_points,
)
from submissions.review.models import ChangeRequestPoint
from submissions.review.readiness import ApprovalBlock, approval_blocks
from submissions.review.self_review import self_review_refusal

S = SubmissionStatus
DECIDABLE = (S.SUBMITTED, S.IN_REVIEW)


def _form_kwargs(submission: Submission) -> dict[str, Any]:
    """What the point and comment forms offer: this submission's own files and fields."""
    return {
        "files": list(selectors.files_of(submission=submission)),
        "fields": rembi_fields.fields_of(submission.metadata),
    }


def _points_formset(request: HttpRequest, submission: Submission, kwargs: dict[str, Any]) -> Any:
    """A blank formset; "Request a change" beside a value (?point=<path>) fills the first row
    with that field when the page works without its script."""
    asked = request.GET.get("point", "")
    initial = [{"field": asked}] if any(f.path == asked for f in kwargs["fields"]) else None
    return PointFormSet(prefix="points", form_kwargs=_point_kwargs(kwargs), initial=initial)


def _point_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"data_files": kwargs["files"], "fields": kwargs["fields"]}


def _page(request: HttpRequest, submission: Submission, status: int = 200, **bound: Any) -> Any:
    """Render the review page; `bound` replaces a blank form with one carrying errors."""
    user = user_of(request)
    kwargs = _form_kwargs(submission)
    curating = can_curate(user=user, submission=submission)
    owning = can_edit(user=user, submission=submission)
    frozen = lifecycle.frozen_reason(submission=submission, viewer=user)
    editable = owning and submission.status in lifecycle.EDITABLE_STATUSES and not frozen
    open_request = selectors.open_change_request(submission=submission)
    points = selectors.points_by_target(open_request)
    curators = list(selectors.facility_curators(facility=submission.facility))
    deciding = curating and submission.status in DECIDABLE
    refusal = self_review_refusal(submission=submission, curator=user) if deciding else ""
    blocks = _approval_blocks(submission, user)
    images = _images_context(submission=submission, user=user)
    context = {
        **images,
        "submission": submission,
        "files": kwargs["files"],
        "curating": curating,
        "owning": owning,
        "can_decide": deciding and not refusal,
        "decide_refusal": refusal,
        # Why Approve would be refused now (the service's own rule): shown instead of it.
        "approval_blocks": blocks,
        "approval_key": _approval_key(blocks),
        "can_edit": editable,
        "frozen": frozen,
        "open_request": open_request,
        "open_points": points,
        "blocks": rembi.display_tree(submission.metadata),
        # Which requested fields the editor draws, so each point can link straight there.
        "editor_paths": rembi_form.editor_paths(submission.metadata) if editable else set(),
        "diff": selectors.changes_since_last_review(submission=submission, readable=True),
        "past_requests": selectors.change_requests(submission=submission),
        "comments": selectors.comments(submission=submission),
        "timeline": lifecycle_selectors.submission_timeline(submission=submission),
        "mails": selectors.notifications_of(submission=submission),
        "approve_form": NoteForm(),
        "reject_form": RejectForm(),
        "request_form": ChangeRequestForm(),
        "points_formset": _points_formset(request, submission, kwargs),
        "comment_form": CommentForm(**kwargs),
        "assign_form": AssignForm(
            curators=curators, initial={"assignee": submission.assignee_id or ""}
        ),
        **bound,
    }
    return render(request, "review/review_page.html", context, status=status)


def _decides(submission: Submission, user: User) -> bool:
    """Whether the page offers `user` the decisions (a self-review is told why instead)."""
    return (
        can_curate(user=user, submission=submission)
        and submission.status in DECIDABLE
        and not self_review_refusal(submission=submission, curator=user)
    )


def _approval_blocks(submission: Submission, user: User) -> list[ApprovalBlock]:
    """Why Approve would be refused now, for a curator who may decide (else nothing)."""
    if not _decides(submission, user):
        return []
    return approval_blocks(submission=submission, curator=user)


def _approval_key(blocks: list[ApprovalBlock]) -> str:
    """A short fingerprint of what the approval area shows ("" for the Approve form). The
    conversion list's poll carries the page's, and sends the area only when it differs."""
    if not blocks:
        return ""
    words = "\n".join(block.message for block in blocks).encode()
    return hashlib.blake2s(words, digest_size=6).hexdigest()


def _images_context(*, submission: Submission, user: User, shown: int | None = None) -> Any:
    """The review copies: each image's conversion, and the viewer over those ready."""
    images = processing_selectors.review_images(submission=submission, user=user)
    ready = [image.viewer.as_dict() for image in images if image.viewer is not None]
    return {
        "review_images": images,
        "viewer_images": ready,
        "images_active": any(image.state in ("queued", "running") for image in images),
        # Polled: more images are ready than the viewer drawn with the page shows.
        "more_ready": shown is not None and len(ready) > shown,
        "shown_count": len(ready) if shown is None else shown,
    }


def _refused(request: HttpRequest, submission: Submission, **bound: Any) -> HttpResponse:
    """A form that did not validate: the page again with its errors, nothing saved."""
    return _page(request, submission, status=400, **bound)


def _submission(request: HttpRequest, submission_id: str) -> tuple[User, Submission]:
    user = user_of(request)
    return user, lifecycle_selectors.get_submission(user=user, submission_id=submission_id)


def _act(
    request: HttpRequest,
    submission: Submission,
    action: Callable[[], object],
    *,
    done: str,
    anchor: str = "",
    bound: dict[str, Any] | None = None,
    on_invalid: Callable[[ValidationFailed], None] | None = None,
) -> HttpResponse:
    """Run one service call; a repeat (double click) or a taken review is a notice, not an
    error page; input the service refuses re-renders the page with the errors at the fields.
    Callers check their forms first (`_refused`): an invalid form never reaches a service."""
    bound = bound or {}
    form = next(iter(bound.values()), None)
    try:
        action()
    except ValidationFailed as error:
        if on_invalid is not None:
            on_invalid(error)
            return _refused(request, submission, **bound)
        if isinstance(form, Form):
            apply_errors(form, error)
            return _refused(request, submission, **bound)
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
    files = list(selectors.files_of(submission=submission))
    points = selectors.open_change_requests(submission)
    return render(
        request,
        "review/_files.html",
        {"submission": submission, "files": files, "open_points": points},
    )


@login_required
def review_images(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The conversion list alone, polled by htmx while review copies are being made."""
    user, submission = _submission(request, submission_id)
    try:
        shown = max(0, int(request.GET.get("shown", "0")))
    except ValueError:
        shown = 0
    images = _images_context(submission=submission, user=user, shown=shown)
    context = {"submission": submission, **images}
    if _decides(submission, user):
        # A copy that just failed blocks approval: the Approve form gives way to why. The
        # area is sent only when it changed, so it is announced once and a note being
        # typed is never replaced.
        blocks = approval_blocks(submission=submission, curator=user)
        key = _approval_key(blocks)
        changed = key != request.GET.get("approval", "")
        context.update(
            approval_blocks=blocks,
            approval_key=key,
            approve_oob=changed,
            approve_form=NoteForm(),
            # The last poll (nothing is being made now): the note beside Approve goes.
            converting_oob=not changed and not blocks and not images["images_active"],
        )
    return render(request, "review/_review_images.html", context)


@require_safe
def point_screenshot(request: HttpRequest, submission_id: str, point_id: int) -> Any:
    """A curator's screenshot with a change point: for whoever may see the submission."""
    if not request.user.is_authenticated:
        raise NotFound("No such screenshot.")
    _user, submission = _submission(request, submission_id)
    point = (
        ChangeRequestPoint.objects.filter(pk=point_id, change_request__submission=submission)
        .exclude(screenshot_key="")
        .first()
    )
    if point is None:
        raise NotFound("No such screenshot.")
    return serve.serve_private(
        request, storage=storage.staging(), key=point.screenshot_key, content_type="image/png"
    )


@login_required
@require_POST
def claim(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    return _act(
        request,
        submission,
        lambda: assignment.claim(submission=submission, curator=user),
        done="You are reviewing this submission.",
    )


@login_required
@require_POST
def assign(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    curators = {str(c.pk): c for c in selectors.facility_curators(facility=submission.facility)}
    form = AssignForm(request.POST, curators=list(curators.values()))
    if not form.is_valid():
        return _refused(request, submission, assign_form=form)
    assignee = curators.get(form.cleaned_data.get("assignee") or "")
    return _act(
        request,
        submission,
        lambda: assignment.assign(submission=submission, curator=user, assignee=assignee),
        done=f"Assigned to {assignee.display_name}." if assignee else "Nobody is assigned now.",
        bound={"assign_form": form},
    )


@login_required
@require_POST
def approve(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, submission, approve_form=form)
    note = form.cleaned_data.get("note", "")
    return _act(
        request,
        submission,
        lambda: services.approve(submission=submission, curator=user, note=note),
        done="Approved. The researcher is told by e-mail.",
        bound={"approve_form": form},
    )


@login_required
@require_POST
def reject(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _refused(request, submission, reject_form=form)
    reason = form.cleaned_data.get("reason", "")
    return _act(
        request,
        submission,
        lambda: services.reject(submission=submission, curator=user, reason=reason),
        done="Rejected. The researcher is told by e-mail.",
        bound={"reject_form": form},
    )


@login_required
@require_POST
def request_changes(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = ChangeRequestForm(request.POST)
    formset = PointFormSet(
        request.POST,
        request.FILES,
        prefix="points",
        form_kwargs=_point_kwargs(_form_kwargs(submission)),
    )
    bound = {"request_form": form, "points_formset": formset}
    if not all([form.is_valid(), formset.is_valid()]):  # both, so both show their errors
        return _refused(request, submission, **bound)
    points = change_points(formset)
    return _act(
        request,
        submission,
        lambda: services.request_changes(
            submission=submission,
            curator=user,
            message=form.cleaned_data.get("message", ""),
            points=points,
        ),
        done="Changes requested. The researcher is told by e-mail.",
        bound=bound,
        on_invalid=lambda error: apply_point_errors(form, formset, error),
    )


@login_required
@require_POST
def comment(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    form = CommentForm(request.POST, **_form_kwargs(submission))
    if not form.is_valid():
        return _refused(request, submission, comment_form=form)
    data = form.cleaned_data
    return _act(
        request,
        submission,
        lambda: services.add_comment(
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
def submit(request: HttpRequest, submission_id: str) -> HttpResponse:
    user, submission = _submission(request, submission_id)
    return _act(
        request,
        submission,
        lambda: services.submit(submission=submission, user=user),
        done="Submitted. The curators are told by e-mail.",
    )
