"""A person's mail settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from submissions.core.auth import user_of
from submissions.notifications import services
from submissions.notifications.forms import NotificationSettingsForm
from submissions.notifications.models import MUTABLE_KINDS


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    muted = services.muted_kinds(user=user)
    initial = {"wanted": [kind.value for kind in MUTABLE_KINDS if kind not in muted]}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.set_muted_kinds(user=user, muted=form.muted())
        messages.success(request, "Your e-mail settings are saved.")
        return redirect("notification-settings")
    return render(request, "notifications/settings.html", {"form": form})
