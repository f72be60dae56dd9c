"""The review queue's pages: the facility chooser, the queue itself, and claiming from it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from submissions.accounts import selectors as accounts_selectors
from submissions.core.auth import user_of
from submissions.core.errors import PortalError
from submissions.core.pagination import KnownCountPaginator
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.review import assignment, selectors
from submissions.review import counts as queue_counts
from submissions.review.forms import QueueFilterForm
from submissions.review.queue_rows import queue_rows


@login_required
def review_home(request: HttpRequest) -> HttpResponse:
    """One facility goes straight to its queue; several are listed; none is a 404."""
    facilities = list(accounts_selectors.curated_facilities(user=user_of(request)))
    if len(facilities) == 1:
        return redirect("review-queue", facilities[0].slug)
    if not facilities:
        return render(request, "review/no_queue.html", status=404)
    return render(request, "review/facilities.html", {"facilities": facilities})


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    user = user_of(request)
    facility = selectors.curated_facility(user=user, slug=slug)
    curators = list(selectors.facility_curators(facility=facility))
    # Defaults are filled in so the form shows what the queue really uses.
    form = QueueFilterForm(
        {"state": "waiting", "sort": "oldest", "per_page": "50", **request.GET.dict()},
        curators=curators,
    )
    filters, per_page = form.filters()
    rows = selectors.review_queue(user=user, facility=facility, filters=filters)
    counts = queue_counts.queue_state_counts(user=user, facility=facility, filters=filters)
    paginator = KnownCountPaginator(
        rows, per_page, count=counts.count(filters.state), exact=counts.exact(filters.state)
    )
    page = paginator.get_page(request.GET.get("page"))
    stats = selectors.file_stats(list(page.object_list))
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
            "rows": queue_rows(request, list(page.object_list), stats, filters.state),
            "counts": counts,
            "state_tabs": [("waiting", "Waiting"), ("all", "All")]
            + [(s.value, s.label) for s in selectors.QUEUE_STATES],
            "query": query.urlencode(),
            "state_query": state_query.urlencode(),
        },
    )


@login_required
@require_POST
def claim_from_queue(request: HttpRequest, submission_id: str) -> HttpResponse:
    user = user_of(request)
    submission = lifecycle_selectors.get_submission(user=user, submission_id=submission_id)
    try:
        assignment.claim(submission=submission, curator=user)
        messages.success(request, f"You are reviewing “{submission.title}”.")
    except PortalError as error:
        if error.http_status == 403:
            raise
        messages.warning(request, error.message)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("submission-review", submission.pk)
