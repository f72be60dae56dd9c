"""Health for people and orchestrators, and metrics for Prometheus.

- ``/healthz``: every dependency, workers included (``make run`` shows it all green).
- ``/healthz/live``: this process answers (liveness: restart it if not); touches nothing.
- ``/healthz/ready``: this web process can serve (database, broker, storage); a load balancer
  sends traffic only while it is 200. Workers are not part of it: a web node without
  workers still serves pages.
- ``/metrics``: Prometheus text, for METRICS_TOKEN or METRICS_ALLOWED_NETWORKS only (404
  otherwise, so its existence is not advertised).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from submissions.core import metrics
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
