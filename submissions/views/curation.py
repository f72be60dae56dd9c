"""The curators' review queue, and everyone's mail settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from submissions import selectors, selectors_review
from submissions.auth import user_of
from submissions.forms_review import NotificationSettingsForm, QueueFilterForm
from submissions.models import NotificationKind
from submissions.pagination import KnownCountPaginator
from submissions.services import notifications, review
from submissions.services.exceptions import PortalError


@login_required
def curation_home(request: HttpRequest) -> HttpResponse:
    """One facility goes straight to its queue; several are listed; none is a 404."""
    facilities = list(selectors.curated_facilities(user=user_of(request)))
    if len(facilities) == 1:
        return redirect("curation-queue", facilities[0].slug)
    if not facilities:
        return render(request, "review/no_queue.html", status=404)
    return render(request, "review/facilities.html", {"facilities": facilities})


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    user = user_of(request)
    facility = selectors_review.curated_facility(user=user, slug=slug)
    curators = list(selectors_review.facility_curators(facility=facility))
    # Defaults are filled in so the form shows what the queue really uses.
    form = QueueFilterForm(
        {"state": "waiting", "sort": "oldest", "per_page": "50", **request.GET.dict()},
        curators=curators,
    )
    filters, per_page = form.filters()
    rows = selectors_review.review_queue(user=user, facility=facility, filters=filters)
    counts = selectors_review.queue_state_counts(user=user, facility=facility, filters=filters)
    count = selectors_review.count_for_state(counts, filters.state)
    page = KnownCountPaginator(rows, per_page, count=count).get_page(request.GET.get("page"))
    stats = selectors_review.file_stats(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    state_query = query.copy()
    state_query.pop("state", None)
    return render(
        request,
        "review/queue.html",
        {
            "facility": facility,
            "form": form,
            "filters": filters,
            "page": page,
            "rows": [(s, stats.get(s.pk)) for s in page.object_list],
            "counts": counts,
            "state_tabs": [("waiting", "Waiting"), ("all", "All")]
            + [(s.value, s.label) for s in selectors_review.QUEUE_STATES],
            "query": query.urlencode(),
            "state_query": state_query.urlencode(),
        },
    )


@login_required
@require_POST
def claim_from_queue(request: HttpRequest, submission_id: str) -> HttpResponse:
    user = user_of(request)
    submission = selectors.get_submission(user=user, submission_id=submission_id)
    try:
        review.claim(submission=submission, curator=user)
        messages.success(request, f"You are reviewing “{submission.title}”.")
    except PortalError as error:
        if error.http_status == 403:
            raise
        messages.warning(request, error.message)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("submission-review", submission.pk)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    muted = notifications.muted_kinds(user=user)
    initial = {"wanted": [kind for kind in NotificationKind.values if kind not in muted]}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notifications.set_muted_kinds(user=user, muted=form.muted())
        messages.success(request, "Your e-mail settings are saved.")
        return redirect("notification-settings")
    return render(request, "review/notification_settings.html", {"form": form})
