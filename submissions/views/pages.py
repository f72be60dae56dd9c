from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from submissions import selectors, selectors_hub
from submissions.auth import user_of
from submissions.models import SubmissionStatus
from submissions.services import accounts
from submissions.services.exceptions import ValidationFailed

DASHBOARD_PAGE_SIZE = 25


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home.html")
    user = user_of(request)
    q = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    lab = request.GET.get("scope") == "lab"
    mine = selectors.own_submissions(user=user, q=q, status=status, lab=lab)
    memberships = list(selectors.memberships_of(user=user))
    page = Paginator(mine, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard.html",
        {
            "rows": selectors_hub.dashboard_rows(submissions=page.object_list),
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


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        Token.objects.filter(user=user_of(request)).delete()
        messages.success(request, "A new API token was made; the old one no longer works.")
        return redirect("api-token-page")
    token, _ = Token.objects.get_or_create(user=user_of(request))
    return render(request, "account/api_token.html", {"token": token.key})


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The person's own details, with links to everything else about their account."""
    user = user_of(request)
    values = {"full_name": user.full_name, "orcid": user.orcid}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in values}
        try:
            accounts.update_profile(user=user, **values)
        except ValidationFailed as error:
            errors = error.fields
        else:
            messages.success(request, "Your details were saved.")
            return redirect("account")
    status = 400 if errors else 200
    context = {"values": values, "errors": errors}
    return render(request, "account/profile.html", context, status=status)
