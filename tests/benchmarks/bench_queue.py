"""`make bench-queue`: the review queue at 100,000 submissions against 1,000, cold and warm.

Two PostgreSQL databases: DATABASE_URL (default .../aperture_bench) holds facility `bench`
with 100,000 submissions, and the same name with `_1k` appended holds 1,000 (both created and
filled once with `manage.py generate_submissions`, then `VACUUM ANALYZE`, what autovacuum
does in production). The same 240 random combinations of state, sort, search (title,
accession, e-mail, no match), assignee, has-failures, age, submitter, page and page size are
requested from the queue page (`/review/bench/`) and the queue API, in-process through the
whole Django stack (session or token auth, middleware, templates or serializers).

Each round starts two fresh Python processes, one per database, with no warm-up request: the
**cold** pass times every URL's first request (page and API alternating, the very first one
paying for Django's lazy start as after a deploy), the **warm** pass the same URLs again in
the same processes. The two run in lockstep: request i goes to one database and then to the
other, alternating which goes first, so the shared machine's load hits both alike.
PostgreSQL's and the OS's caches are shared by all runs. Each figure is the median of
`BENCH_QUEUE_REPEATS` (3) rounds. The ratio is the p95 at
100,000 divided by the p95 at 1,000 (target <= 1.5, cold and warm): the queue's cost must not
grow with the table. Peers in the same processes: the dashboard page and /api/v1/me/.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aperture_bench")
SIZES = {"1k": 1_000, "100k": int(os.environ.get("BENCH_QUEUE_COUNT", "100000"))}
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "240"))
REPEATS = int(os.environ.get("BENCH_QUEUE_REPEATS", "3"))
FACILITY = "bench"


def database_for(size: str) -> str:
    return DATABASE_URL if size == "100k" else f"{DATABASE_URL}_1k"


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def queries() -> list[dict[str, str]]:
    """The request mix; {researcher}, {accession} and {curator} are filled per database."""
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
    searches = ["", "", "", "", "mitochondrial", "HeLa", "zebra", "{accession}"]
    searches += ["{researcher}", "series 4711", "nothing-matches-this"]
    chosen = []
    for _ in range(REQUESTS):
        params = {
            "state": rng.choice(states),
            "sort": rng.choice(["oldest", "oldest", "newest", "title", "submitter", "updated"]),
            "q": rng.choice(searches),
            "assignee": rng.choice(["", "", "", "me", "none", "{curator}"]),
            "has_failures": rng.choice(["", "", "", "yes", "no"]),
            "age": rng.choice(["", "", "lt1d", "gt1d", "gt7d", "gt30d"]),
            "submitter": rng.choice([""] * 7 + ["{researcher}"]),
            # Deep pages exist only at 100,000; a page past the end is an error page.
            "page": str(rng.choice([1, 1, 1, 1, 2])),
            "size": str(rng.choice([25, 50, 50, 100])),
        }
        chosen.append({k: v for k, v in params.items() if v})
    return chosen


# --- Child: one database, one fresh process ------------------------------------------------


def _setup() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.testing")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client's "testserver" host in


def prepare(size: str) -> None:
    """Create, migrate and fill one database (idempotent), then VACUUM ANALYZE it."""
    _setup()
    from django.core.management import call_command
    from django.db import connection

    from submissions.lifecycle.models import Submission

    call_command("migrate", verbosity=0)
    if Submission.objects.filter(facility__slug=FACILITY).count() < SIZES[size]:
        started = time.monotonic()
        call_command("generate_submissions", count=SIZES[size], facility=FACILITY)
        print(f"# {size}: generated in {time.monotonic() - started:.0f}s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def serve() -> None:
    """Answer timing commands on stdin ("page I", "api I", "dashboard", "me") with "MS STATUS";
    no request is made before the first command, so the first of each URL is cold."""
    _setup()
    import logging
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from submissions.accounts.models import Membership, Role
    from submissions.lifecycle.models import Submission

    logging.disable(logging.WARNING)  # the API's 404s past the last page
    mine = Submission.objects.filter(facility__slug=FACILITY)
    curator = (
        Membership.objects.filter(facility__slug=FACILITY, role=Role.CURATOR)
        .select_related("user")
        .order_by("pk")
        .first()
    ).user  # type: ignore[union-attr]
    researcher = mine.order_by("pk").first().owner  # type: ignore[union-attr]
    accession = mine.exclude(accession=None).order_by("pk").first().accession  # type: ignore[union-attr]
    fill = {"{researcher}": researcher.email, "{accession}": accession, "{curator}": curator.pk}

    def filled(q: dict[str, str]) -> dict[str, str]:
        return {k: str(fill.get(v, v)) for k, v in q.items()}

    def page_url(q: dict[str, str]) -> str:
        q = filled(q)
        q["per_page"] = q.pop("size", "50")
        return f"/review/{FACILITY}/?{urlencode(q)}"

    def api_url(q: dict[str, str]) -> str:
        q = filled(q)
        q["page_size"] = q.pop("size", "50")
        if "has_failures" in q:
            q["has_failures"] = "true" if q["has_failures"] == "yes" else "false"
        return f"/api/v1/review/facilities/{FACILITY}/queue/?{urlencode(q)}"

    html = Client()
    html.force_login(curator)
    api = APIClient()
    api.force_authenticate(curator)
    chosen = queries()
    urls = {"page": [page_url(q) for q in chosen], "api": [api_url(q) for q in chosen]}
    print(json.dumps({"submissions": mine.count(), "backend": connection.vendor}), flush=True)
    for line in sys.stdin:
        kind, *rest = line.split()
        index = int(rest[0]) if rest else 0
        if kind == "page":
            client, url = html, urls["page"][index]
        elif kind == "api":
            client, url = api, urls["api"][index]
        elif kind == "dashboard":
            client, url = html, "/"
        else:
            client, url = api, "/api/v1/me/"
        started = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - started) * 1000
        assert response.status_code in (200, 404), (url, response.status_code)
        print(f"{ms:.3f} {response.status_code}", flush=True)


class Server:
    """One `serve` child on one database."""

    def __init__(self, size: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve", size],
            env={**os.environ, "DATABASE_URL": database_for(size)},
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info = json.loads(self.ask_line())

    def ask_line(self) -> str:
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("a queue benchmark child died; see its output above")
        return line

    def time(self, command: str) -> tuple[float, int]:
        self.process.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        ms, status = self.ask_line().split()
        return float(ms), int(status)

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=30)


def lockstep_round(round_: int) -> dict[str, dict[str, Any]]:
    """Both databases in the same window: request i goes to one then the other (alternating
    which goes first), so the machine's load hits both sides alike."""
    servers = {size: Server(size) for size in SIZES}
    times: dict[str, dict[str, list[float]]] = {size: {} for size in SIZES}
    statuses: dict[str, dict[int, int]] = {size: {} for size in SIZES}
    try:
        commands = [
            (phase, f"{kind} {i}")
            for phase in ("cold", "warm")
            for i in range(REQUESTS)
            for kind in ("page", "api")
        ]
        commands += [("peer", "dashboard")] * 50 + [("peer", "me")] * 50
        for n, (phase, command) in enumerate(commands):
            order = list(SIZES) if (n + round_) % 2 == 0 else list(SIZES)[::-1]
            for size in order:
                ms, status = servers[size].time(command)
                key = f"{phase}.{command.split()[0]}"
                times[size].setdefault(key, []).append(ms)
                statuses[size][status] = statuses[size].get(status, 0) + 1
    finally:
        for server in servers.values():
            server.close()
    result: dict[str, dict[str, Any]] = {}
    for size in SIZES:
        t = times[size]
        result[size] = {
            **servers[size].info,
            "statuses": statuses[size],
            "peer_dashboard_p95": percentile(t["peer.dashboard"], 95),
            "peer_api_me_p95": percentile(t["peer.me"], 95),
        }
        for phase in ("cold", "warm"):
            result[size][phase] = {
                "page_p50": statistics.median(t[f"{phase}.page"]),
                "page_p95": percentile(t[f"{phase}.page"], 95),
                "api_p50": statistics.median(t[f"{phase}.api"]),
                "api_p95": percentile(t[f"{phase}.api"], 95),
            }
    return result


def prepare_child(size: str) -> None:
    subprocess.run(
        [sys.executable, __file__, "prepare", size],
        env={**os.environ, "DATABASE_URL": database_for(size)},
        cwd=ROOT,
        check=True,
    )


def main() -> None:
    if not DATABASE_URL.startswith("postgres"):
        raise SystemExit("bench-queue needs PostgreSQL: set DATABASE_URL")
    for size in SIZES:
        ensure_database(database_for(size))
        prepare_child(size)
    runs: dict[str, list[dict[str, Any]]] = {size: [] for size in SIZES}
    for round_ in range(REPEATS):
        outcome = lockstep_round(round_)
        for size, run in outcome.items():
            runs[size].append(run)
            print(
                f"# round {round_ + 1} {size} ({run['submissions']} submissions): "
                + ", ".join(
                    f"{phase} page p95 {run[phase]['page_p95']:.0f} ms, "
                    f"api p95 {run[phase]['api_p95']:.0f} ms"
                    for phase in ("cold", "warm")
                )
                + f"; statuses {run['statuses']}",
                flush=True,
            )

    def med(size: str, phase: str, key: str) -> float:
        return statistics.median(run[phase][key] for run in runs[size])

    print(f"BENCH queue.backend {runs['100k'][0]['backend']}")
    print(f"BENCH queue.submissions {runs['100k'][0]['submissions']}")
    print(f"BENCH queue.requests_per_pass {REQUESTS}")
    for phase in ("cold", "warm"):
        for size in SIZES:
            for key in ("page_p50", "page_p95", "api_p50", "api_p95"):
                print(f"BENCH queue.{size}.{phase}.{key}_ms {med(size, phase, key):.1f}")
    for phase in ("cold", "warm"):
        ratios = {
            kind: med("100k", phase, f"{kind}_p95") / med("1k", phase, f"{kind}_p95")
            for kind in ("page", "api")
        }
        for kind, ratio in ratios.items():
            print(f"BENCH queue.{kind}.p95_ratio_100k_vs_1k.{phase} {ratio:.2f}")
        print(f"BENCH queue.p95_ratio_100k_vs_1k.{phase} {max(ratios.values()):.2f}")
    for size in SIZES:
        dashboard = statistics.median(run["peer_dashboard_p95"] for run in runs[size])
        me = statistics.median(run["peer_api_me_p95"] for run in runs[size])
        print(f"BENCH queue.{size}.peer_dashboard_p95_ms {dashboard:.1f}")
        print(f"BENCH queue.{size}.peer_api_me_p95_ms {me:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve()
    else:
        main()
