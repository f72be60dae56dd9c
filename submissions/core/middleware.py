"""The HTML side of domain errors: a page with the message, and the right status."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from submissions.core.errors import NotFound, PortalError


class PortalErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/") or not isinstance(exception, PortalError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        return render(
            request,
            "error.html",
            {"error": exception},
            status=exception.http_status,
        )
