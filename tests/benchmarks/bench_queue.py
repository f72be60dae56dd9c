"""`make bench-queue`: the review queue page and API over 100,000 submissions.

Runs against DATABASE_URL (PostgreSQL; default postgres://postgres@127.0.0.1:5432/aperture_bench,
created if missing), generates the submissions once with `generate_submissions`, then times
at least 200 requests each to the queue page and the queue API with varied filters, sorts,
searches and pages, in-process through Django's full stack (middleware, session auth,
templates, serializers). A peer is timed in the same run: the curator's dashboard page and
/api/v1/me/, so a slow machine shows as slow peers too.

Prints BENCH lines; the targets are queue.page_p95_ms <= 150 and queue.api_p95_ms <= 150.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aperture_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.testing")
COUNT = int(os.environ.get("BENCH_QUEUE_COUNT", "100000"))
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "240"))
FACILITY = os.environ.get("BENCH_QUEUE_FACILITY", "bench")


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(client: object, urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from submissions.accounts.models import Membership, Role
    from submissions.lifecycle.models import Submission

    setup_test_environment()  # lets the test client's "testserver" host in
    call_command("migrate", verbosity=0)
    have = Submission.objects.filter(facility__slug=FACILITY).count()
    if have < COUNT:
        started = time.monotonic()
        call_command("generate_submissions", count=COUNT, facility=FACILITY)
        print(f"BENCH queue.generate_s {time.monotonic() - started:.1f}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # What autovacuum does in production; fresh bulk inserts lack the visibility map
            # that index-only scans need.
            cursor.execute("VACUUM ANALYZE")
    total = Submission.objects.filter(facility__slug=FACILITY).count()
    curator = (
        Membership.objects.filter(facility__slug=FACILITY, role=Role.CURATOR)
        .select_related("user")
        .first()
    ).user  # type: ignore[union-attr]
    researcher = Submission.objects.filter(facility__slug=FACILITY).first().owner  # type: ignore[union-attr]
    accession = (
        Submission.objects.filter(facility__slug=FACILITY).exclude(accession=None).first().accession  # type: ignore[union-attr]
    )

    rng = random.Random(6)
    states = ["waiting"] * 4 + [
        "all",
        "submitted",
        "in_review",
        "changes_requested",
        "published",
        "processing_failed",
        "rejected",
    ]
    searches = [
        "",
        "",
        "",
        "",
        "mitochondrial",
        "HeLa",
        "zebra",
        accession,
        researcher.email,
        "series 4711",
        "nothing-matches-this",
    ]
    queries = []
    for _ in range(REQUESTS * 2):
        params = {
            "state": rng.choice(states),
            "sort": rng.choice(["oldest", "oldest", "newest", "title", "submitter", "updated"]),
            "q": rng.choice(searches),
            "assignee": rng.choice(["", "", "", "me", "none", str(curator.pk)]),
            "has_failures": rng.choice(["", "", "", "yes", "no"]),
            "age": rng.choice(["", "", "lt1d", "gt1d", "gt7d", "gt30d"]),
            "submitter": rng.choice([""] * 7 + [researcher.email]),
            "page": str(rng.choice([1, 1, 1, 2, 3, 5, 10])),
            "size": str(rng.choice([25, 50, 50, 100])),
        }
        queries.append({k: v for k, v in params.items() if v})

    from urllib.parse import urlencode

    def page_url(q: dict[str, str]) -> str:
        q = dict(q)
        q["per_page"] = q.pop("size", "50")
        return f"/review/{FACILITY}/?{urlencode(q)}"

    def api_url(q: dict[str, str]) -> str:
        q = dict(q)
        q["page_size"] = q.pop("size", "50")
        if "has_failures" in q:
            q["has_failures"] = "true" if q["has_failures"] == "yes" else "false"
        return f"/api/v1/review/facilities/{FACILITY}/queue/?{urlencode(q)}"

    html = Client()
    html.force_login(curator)
    api = APIClient()
    api.force_authenticate(curator)

    def ok(client: object, url: str) -> bool:
        return client.get(url).status_code == 200  # type: ignore[attr-defined,no-any-return]

    # Pages past the end answer 404 in the API; keep the first REQUESTS that answer.
    kept = [q for q in queries if ok(api, api_url(q))][:REQUESTS]
    api_urls = [api_url(q) for q in kept]
    page_urls = [page_url(q) for q in kept]
    timed(html, page_urls[:10])  # warm-up
    timed(api, api_urls[:10])
    peer_page = timed(html, ["/"] * 100)
    peer_api = timed(api, ["/api/v1/me/"] * 100)
    page_times = timed(html, page_urls)
    api_times = timed(api, api_urls)

    print(f"BENCH queue.backend {connection.vendor}")
    print(f"BENCH queue.submissions {total}")
    print(f"BENCH queue.page_requests {len(page_times)}")
    print(f"BENCH queue.api_requests {len(api_times)}")
    print(f"BENCH queue.page_p50_ms {statistics.median(page_times):.1f}")
    print(f"BENCH queue.page_p95_ms {percentile(page_times, 95):.1f}")
    print(f"BENCH queue.api_p50_ms {statistics.median(api_times):.1f}")
    print(f"BENCH queue.api_p95_ms {percentile(api_times, 95):.1f}")
    print(f"BENCH queue.peer_dashboard_p95_ms {percentile(peer_page, 95):.1f}")
    print(f"BENCH queue.peer_api_me_p95_ms {percentile(peer_api, 95):.1f}")
    slowest = sorted(zip(page_times + api_times, page_urls + api_urls, strict=True))[-5:]
    for ms, url in slowest:
        print(f"# slowest {ms:.0f} ms {url}")


if __name__ == "__main__":
    main()
