"""The researcher's pages for one submission: new, overview, metadata editor, submit,
withdraw, delete. Each view translates HTTP and calls one service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from submissions.accounts import selectors as accounts_selectors
from submissions.accounts.permissions import can_curate, can_edit
from submissions.core.auth import user_of
from submissions.core.errors import InvalidTransition, NotFound, ValidationFailed
from submissions.lifecycle import selectors, services
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.rembi import forms as rembi_form
from submissions.rembi import services as rembi
from submissions.rembi.services import vocab
from submissions.review import selectors as review_selectors
from submissions.review import services as review


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


def _files_url(submission: Submission) -> str:
    """The uploads page (built by the uploads work) when that URL exists, else ''."""
    try:
        return reverse("submission-files", args=[submission.pk])
    except NoReverseMatch:
        return ""


@login_required
def submission_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    editable = can_edit(user=user, submission=submission) and (
        submission.status in services.EDITABLE_STATUSES
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
            "is_owner": can_edit(user=user, submission=submission),
            "curating": can_curate(user=user, submission=submission),
            "problems": problems,
            "files_url": _files_url(submission),
            "file_count": submission.files.count(),
            "open_request": open_request,
            # Which requested fields the editor shows, so the panel can link straight there.
            "editor_paths": (
                rembi_form.editor_paths(submission.metadata) if open_request and editable else set()
            ),
            "show_processing": submission.status in selectors.PROCESSING_STATES,
        },
    )


def _editor_context(
    submission: Submission,
    document: dict[str, Any],
    errors: dict[str, list[str]],
    missing: dict[str, list[str]],
    focus: str = "",
) -> dict[str, Any]:
    sections = rembi_form.bind(document, errors, missing, focus)
    open_request = review_selectors.open_change_request(submission=submission)
    points = rembi_form.at_editor_paths(review_selectors.points_by_target(open_request))
    return {
        "submission": submission,
        "sections": sections,
        "errors": errors,
        "error_count": sum(len(v) for v in errors.values()),
        "organisms": vocab.organisms(),
        "imaging_methods": vocab.imaging_methods(),
        "roles": vocab.AUTHOR_ROLES,
        "files_url": _files_url(submission),
        "picker_data": _picker_data(),
        # Shown beside each field (review/_field_requests.html) and listed at the top.
        "open_request": open_request,
        "open_points": points,
        "editor_paths": rembi_form.with_aliases(rembi_form.bound_paths(sections)),
        # Optional sections open by themselves when a point is about something inside.
        "requested_sections": {path.split(".", 1)[0] for path in points},
    }


def _picker_data() -> dict[str, Any]:
    """What the editor's ontology pickers look names up in, offline."""
    fbbi: dict[str, list[str]] = {}
    for term in vocab.imaging_methods():
        for label in (*term.synonyms, term.name):
            fbbi[label.lower()] = [term.id, term.name]
    return {
        "fbbi": fbbi,
        "fbbiIds": {term.id: term.name for term in vocab.imaging_methods()},
        "organisms": {
            o.scientific_name.lower(): [o.taxon_id, o.scientific_name, o.common_name]
            for o in vocab.organisms()
        },
        "taxa": {o.taxon_id: [o.scientific_name, o.common_name] for o in vocab.organisms()},
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit_metadata(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    if submission.status not in services.EDITABLE_STATUSES:
        messages.info(request, "This submission can no longer be edited.")
        return redirect("submission-detail", pk=submission.pk)
    if request.method == "GET":
        document, _ = rembi.clean(submission.metadata)
        missing = rembi.problems(document) if request.GET.get("check") else {}
        return render(
            request, "rembi/edit.html", _editor_context(submission, document, {}, missing)
        )

    raw = rembi_form.parse_form(request.POST)
    autosave = request.headers.get("X-Autosave") == "1"
    action = request.POST.get("_action", "")
    try:
        services.update_submission(submission=submission, user=user, metadata=raw)
    except ValidationFailed as error:
        if autosave:
            return JsonResponse(
                {"saved": False, "message": error.message, "errors": error.fields}, status=400
            )
        document, _ = rembi.clean(raw, keep_blank=True)
        focus = rembi_form.add_blank_item(document, action[4:]) if action.startswith("add:") else ""
        context = _editor_context(submission, document, error.fields, {}, focus or "")
        return render(request, "rembi/edit.html", context, status=400)
    except InvalidTransition as error:
        if autosave:
            return JsonResponse(
                {"saved": False, "message": error.message, "errors": {}}, status=409
            )
        raise
    if autosave:
        return JsonResponse({"saved": True, "saved_at": timezone.localtime().strftime("%H:%M:%S")})
    if action.startswith("add:"):
        document, _ = rembi.clean(submission.metadata)
        focus = rembi_form.add_blank_item(document, action[4:]) or ""
        return render(
            request, "rembi/edit.html", _editor_context(submission, document, {}, {}, focus)
        )
    if action == "done":
        messages.success(request, "Description saved.")
        return redirect("submission-detail", pk=submission.pk)
    messages.success(request, "Saved.")
    anchor = request.POST.get("_anchor", "")
    return redirect(
        reverse("submission-edit", args=[submission.pk]) + (f"#{anchor}" if anchor else "")
    )


@login_required
@require_http_methods(["GET", "POST"])
def submit_submission(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
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
        {"submission": submission, "problems": problems, "files_url": _files_url(submission)},
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
    return render(request, "lifecycle/withdraw.html", {"submission": submission})


@login_required
@require_http_methods(["GET", "POST"])
def delete_submission(request: HttpRequest, pk: UUID) -> HttpResponse:
    submission = _submission(request, pk)
    user = user_of(request)
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    if request.method == "POST":
        services.delete_submission(submission=submission, user=user)
        messages.success(request, f"The draft “{submission.title}” was deleted.")
        return redirect("home")
    return render(request, "lifecycle/delete.html", {"submission": submission})


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
