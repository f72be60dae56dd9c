"""Prometheus metrics at /metrics, for operators only.

Request latency is measured in the web process (shared between gunicorn workers through
prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set). Everything else
is read when Prometheus scrapes, from where the truth is, so it is right however many
workers run on however many hosts: queue depth from Redis, jobs, their durations and
failures, and the bytes uploaded and published from the database.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

QUEUES = ("default", "conversion")
REQUEST_LATENCY = Histogram(
    "aperture_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status class.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class MetricsMiddleware:
    """Times every request; labels by the URL pattern (never the raw path: ids are unbounded)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = getattr(match, "route", None) or "unmatched"
        REQUEST_LATENCY.labels(
            method=request.method or "", route=route, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


class DatabaseCollector(Collector):
    """Gauges computed at scrape time from Redis and the database."""

    def collect(self) -> Iterator[Metric]:
        yield from _queue_depth()
        yield from _jobs()
        yield from _bytes()

    def describe(self) -> list[Metric]:
        return []  # computed at scrape; nothing to pre-register


def _queue_depth() -> Iterator[Metric]:
    from submissions.core.health import redis_client

    depth = GaugeMetricFamily(
        "aperture_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    try:
        client = redis_client()
        for queue in QUEUES:
            depth.add_metric([queue], float(client.llen(queue)))
    except Exception:  # a scrape during a Redis outage still returns the other metrics
        return
    yield depth


def _jobs() -> Iterator[Metric]:
    from submissions.processing.models import ConversionJob, JobState

    states = GaugeMetricFamily(
        "aperture_conversion_jobs", "Conversion jobs by state.", labels=["state"]
    )
    counts = dict(
        ConversionJob.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    for state in JobState.values:
        states.add_metric([state], float(counts.get(state, 0)))
    yield states
    failures = GaugeMetricFamily(
        "aperture_conversion_job_failures",
        "Failed conversion jobs by whose fault (user: the file; application: ours).",
        labels=["kind"],
    )
    for kind, n in (
        ConversionJob.objects.filter(state=JobState.FAILED)
        .values_list("error_kind")
        .annotate(n=Count("pk"))
        .values_list("error_kind", "n")
    ):
        failures.add_metric([kind or "unknown"], float(n))
    yield failures
    done = ConversionJob.objects.filter(
        state=JobState.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False
    ).aggregate(
        n=Count("pk"),
        total=Sum(
            ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        ),
    )
    seconds = done["total"].total_seconds() if done["total"] is not None else 0.0
    yield SummaryMetricFamily(
        "aperture_conversion_job_duration_seconds",
        "Wall-clock time of succeeded conversion jobs (last attempt).",
        count_value=int(done["n"] or 0),
        sum_value=seconds,
    )


def _bytes() -> Iterator[Metric]:
    from submissions.publication.models import Publication
    from submissions.uploads.models import DataFile, FileStatus

    uploaded = DataFile.objects.filter(
        status__in=[FileStatus.UPLOADED, FileStatus.VERIFIED, FileStatus.INSPECTED]
    ).aggregate(total=Sum("size"))["total"]
    yield GaugeMetricFamily(
        "aperture_uploaded_bytes",
        "Bytes of completed uploads held now.",
        value=float(uploaded or 0),
    )
    published = Publication.objects.filter(marker_written_at__isnull=False).aggregate(
        total=Sum("total_bytes")
    )["total"]
    yield GaugeMetricFamily(
        "aperture_published_bytes", "Bytes of published datasets.", value=float(published or 0)
    )


def registry() -> CollectorRegistry:
    """This process's request metrics (or every gunicorn worker's) plus the scraped gauges."""
    found = CollectorRegistry(auto_describe=False)
    if settings.METRICS_MULTIPROC_DIR:
        MultiProcessCollector(found, path=settings.METRICS_MULTIPROC_DIR)
    else:
        found.register(REQUEST_LATENCY)
    found.register(DatabaseCollector())
    return found


def allowed(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client address in METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    address = request.META.get("REMOTE_ADDR", "")
    for network in settings.METRICS_ALLOWED_NETWORKS:
        try:
            if ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def render() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST
