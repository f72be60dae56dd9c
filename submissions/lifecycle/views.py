"""The researcher's pages for one submission: new, overview, metadata editor, submit,
withdraw, delete. Each view translates HTTP and calls one service."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from submissions.accounts import selectors as accounts_selectors
from submissions.accounts.permissions import can_curate, can_edit
from submissions.core.auth import user_of
from submissions.core.errors import InvalidTransition, NotFound, ValidationFailed
from submissions.lifecycle import editor, selectors, services
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing import selectors as processing_selectors
from submissions.rembi import editor_actions
from submissions.rembi import forms as rembi_form
from submissions.rembi import services as rembi
from submissions.review import selectors as review_selectors
from submissions.review import services as review
from submissions.uploads.services import drafts
from submissions.uploads.services import retention as uploads_retention


def _submission(request: HttpRequest, pk: UUID) -> Submission:
    return selectors.get_submission(user=user_of(request), submission_id=str(pk))


@login_required
@require_http_methods(["GET", "POST"])
def new_submission(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    facilities = list(accounts_selectors.facilities_of(user=user))
    errors: dict[str, list[str]] = {}
    title = request.POST.get("title", "")
    if request.method == "POST":
        facility = next((f for f in facilities if str(f.pk) == request.POST.get("facility")), None)
        if facility is None and len(facilities) == 1:
            facility = facilities[0]
        try:
            if facility is None:
                raise ValidationFailed(fields={"facility": ["Choose a facility."]})
            submission = services.create_submission(user=user, facility=facility, title=title)
        except ValidationFailed as error:
            errors = error.fields
        else:
            messages.success(
                request, "Draft created. Describe your dataset below; it saves as you type."
            )
            return redirect("submission-edit", pk=submission.pk)
    return render(
        request,
        "lifecycle/new.html",
        {"facilities": facilities, "errors": errors, "title": title},
        status=400 if errors else 200,
    )


_files_url = editor.files_url


@login_required
def submission_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    frozen = services.frozen_reason(submission=submission, viewer=user)
    editable = (
        can_edit(user=user, submission=submission)
        and submission.status in services.EDITABLE_STATUSES
        and not frozen
    )
    problems = services.submission_problems(submission=submission) if editable else {}
    open_request = review_selectors.open_change_request(submission=submission)
    return render(
        request,
        "lifecycle/detail.html",
        {
            "submission": submission,
            "events": selectors.submission_timeline(submission=submission),
            "editable": editable,
            "frozen": frozen,
            "is_owner": can_edit(user=user, submission=submission),
            # A draft nobody has seen ends by being deleted; withdrawing is for a submission
            # the curators know (lifecycle allows both for drafts, the page offers one).
            "can_withdraw": editable
            and submission.status != SubmissionStatus.DRAFT
            and SubmissionStatus.WITHDRAWN in services.ALLOWED[submission.status],
            "curating": can_curate(user=user, submission=submission),
            "problems": problems,
            "problem_count": sum(len(messages) for messages in problems.values()),
            "files_url": _files_url(submission),
            "file_count": submission.files.count(),
            "open_request": open_request,
            "failed_images": processing_selectors.failed_review_copies(submission=submission),
            # Which requested fields the editor shows, so the panel can link straight there.
            "editor_paths": (
                rembi_form.editor_paths(submission.metadata) if open_request and editable else set()
            ),
            "show_processing": submission.status in selectors.PROCESSING_STATES,
            # Rejected or withdrawn: until when the uploads are kept, or when they went.
            "retention": uploads_retention.notice(submission=submission),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_metadata(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    # The page's script saves with this header; a last save sent while leaving (a beacon,
    # which cannot set headers) says so in the form instead.
    scripted = request.headers.get("X-Autosave") == "1" or request.POST.get("_autosave") == "1"
    if submission.status not in services.EDITABLE_STATUSES:
        if scripted:
            return editor.refused("This submission can no longer be edited.", {}, 409)
        messages.info(request, "This submission can no longer be edited.")
        return redirect("submission-detail", pk=submission.pk)
    if frozen := services.frozen_reason(submission=submission):
        if scripted:
            return editor.refused(frozen, {}, 403)
        messages.warning(request, frozen)
        return redirect("submission-detail", pk=submission.pk)
    if request.method == "GET":
        missing = rembi.problems(submission.metadata) if request.GET.get("check") else {}
        ctx = editor.saved_context(
            submission,
            editor.current_errors(submission),
            focus=request.GET.get("focus", "")[:200],
            missing=missing,
        )
        return render(request, "rembi/edit.html", ctx)

    raw = rembi_form.parse_form(request.POST)
    try:
        action = editor_actions.check_action(
            request.POST.get("_action", ""), rembi_form.parse_form(request.POST, keep_removed=True)
        )
    except editor_actions.EditorActionError as error:
        if scripted:
            return editor.refused(error.message, error.fields, 400)
        raise
    focus = editor_actions.add_blank_item(raw, action[4:]) if action.startswith("add:") else ""
    try:
        submission, errors = services.save_description(
            submission=submission, user=user, metadata=raw
        )
    except ValidationFailed as error:
        if scripted:
            return editor.refused(error.message, error.fields, 400)
        document, _ = rembi.clean(raw, keep_blank=True)
        ctx = editor.context(submission, document, error.fields, {}, focus)
        ctx["refused"] = error.message
        return render(request, "rembi/edit.html", ctx, status=400)
    except InvalidTransition as error:
        if scripted:
            return editor.refused(error.message, {}, 409)
        raise
    if scripted:
        return editor.answer(request, submission, errors, action, focus)
    if errors:
        messages.warning(request, editor.held_message(errors))
    elif action == "done":
        messages.success(request, "Description saved.")
    elif not action.startswith(("add:", "remove:")):
        messages.success(request, "Saved.")
    if action == "done":
        return redirect("submission-detail", pk=submission.pk)
    url = reverse("submission-edit", args=[submission.pk])
    if focus:
        return redirect(f"{url}?{urlencode({'focus': focus})}#{focus}")
    anchor = request.POST.get("_anchor", "")
    return redirect(url + (f"#{anchor}" if anchor else ""))


@login_required
@require_http_methods(["GET", "POST"])
def submit_submission(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    if frozen := services.frozen_reason(submission=submission):
        messages.warning(request, frozen)
        return redirect("submission-detail", pk=submission.pk)
    if request.method == "POST":
        try:
            review.submit(submission=submission, user=user, note=request.POST.get("note", ""))
        except InvalidTransition:
            submission.refresh_from_db()
            messages.info(
                request, f"This submission is already {submission.get_status_display().lower()}."
            )
            return redirect("submission-detail", pk=submission.pk)
        except ValidationFailed:
            pass  # the page below lists every problem
        else:
            messages.success(request, "Submitted for review. A curator will look at it soon.")
            return redirect("submission-detail", pk=submission.pk)
    problems = services.submission_problems(submission=submission)
    return render(
        request,
        "lifecycle/submit.html",
        {
            "submission": submission,
            "problems": problems,
            "problem_count": sum(len(messages) for messages in problems.values()),
            "files_url": _files_url(submission),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw_submission(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    if request.method == "POST":
        try:
            services.withdraw(
                submission=submission, user=user, note=request.POST.get("note", "")[:20_000]
            )
        except InvalidTransition:
            submission.refresh_from_db()
            messages.info(
                request,
                f"This submission is {submission.get_status_display().lower()}; "
                "it cannot be withdrawn.",
            )
        else:
            messages.success(request, "The submission was withdrawn.")
        return redirect("submission-detail", pk=submission.pk)
    return render(
        request,
        "lifecycle/withdraw.html",
        {"submission": submission, "retention_days": uploads_retention.retention_period().days},
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete_submission(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    if request.method == "POST":
        gone = drafts.delete_draft(submission=submission, user=user)
        what = f" with its {gone.files} file{'s' if gone.files != 1 else ''}" if gone.files else ""
        messages.success(request, f"The draft “{submission.title}”{what} was deleted.")
        return redirect("home")
    if submission.status != SubmissionStatus.DRAFT:
        messages.info(request, "Only a draft can be deleted.")
        return redirect("submission-detail", pk=submission.pk)
    contents = drafts.draft_contents(submission=submission)
    return render(
        request, "lifecycle/delete.html", {"submission": submission, "contents": contents}
    )


DASHBOARD_PAGE_SIZE = 25


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home.html")
    user = user_of(request)
    q = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    lab = request.GET.get("scope") == "lab"
    mine = selectors.own_submissions(user=user, q=q, status=status, lab=lab)
    memberships = list(accounts_selectors.memberships_of(user=user))
    page = Paginator(mine, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "lifecycle/dashboard.html",
        {
            "rows": selectors.dashboard_rows(submissions=page.object_list),
            "page": page,
            "filters": {"q": q, "status": status, "lab": lab},
            "query": urlencode(
                {
                    k: v
                    for k, v in (("q", q), ("status", status), ("scope", "lab" if lab else ""))
                    if v
                }
            ),
            "in_a_lab": any(m.group_id for m in memberships),
            "statuses": SubmissionStatus.choices,
            "memberships": memberships,
        },
    )
