"""Health for people and orchestrators, and metrics for Prometheus.

- ``/healthz``: every dependency, workers included (``make run`` shows it all green).
- ``/healthz/live``: this process answers (liveness: restart it if not); touches nothing.
- ``/healthz/ready``: this web process can serve (database, broker, storage); a load balancer
  sends traffic only while it is 200. Workers are not part of it: a web node without
  workers still serves pages.
- ``/metrics``: Prometheus text, for METRICS_TOKEN or METRICS_ALLOWED_NETWORKS only (404
  otherwise, so its existence is not advertised).

And the error answers Django gives outside any view (JSON under /api/, pages elsewhere).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from submissions.core import metrics
from submissions.core.api import too_large_body
from submissions.core.health import READINESS_CHECKS, run_checks


def _report(healthy: bool, checks: dict[str, dict[str, object]]) -> JsonResponse:
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return _report(*run_checks())


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz_ready(request: HttpRequest) -> JsonResponse:
    return _report(*run_checks(READINESS_CHECKS))


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics.allowed(request):
        raise Http404
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


# --- Error answers: JSON `{code, message, fields}` under /api/, the site's pages elsewhere.
# Django calls these for errors raised outside a DRF view (a body over
# DATA_UPLOAD_MAX_MEMORY_SIZE read by middleware, an unknown /api/ address, a crash).


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(too_large_body(), status=413)
    return _json_error("bad_request", "The request could not be understood.", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _json_error("permission_denied", "You do not have permission to do that.", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _json_error("not_found", "Not found.", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _json_error("server_error", "Something went wrong on our side; please try again.", 500)
