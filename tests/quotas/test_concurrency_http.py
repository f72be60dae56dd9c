"""Two dozen create-upload requests at once, through HTTP, never overshoot a hard quota.

test_concurrency.py races the quota service from threads; this races the real endpoint
(POST /api/v1/uploads/, token authentication) against a threaded live server of its own, so
the serializer, view, upload service and quota reservation all run per request in their own
thread and database connection. Its listen backlog is wide: Django's default of 10 makes the
kernel reset some of 24 simultaneous connections before any view sees them. PostgreSQL only,
for the same reason as there.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from submissions.accounts.models import Role, User
from submissions.accounts.tokens import issue_token
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaAccount, QuotaScope
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import DataFile
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

REQUESTS = 24
SUBMISSIONS = 8  # uploads to one submission queue on its row lock; spread them to race quota
MB = 10**6


class _WideBacklogServer(ThreadedWSGIServer):
    request_queue_size = 128


class _WideBacklogThread(LiveServerThread):
    server_class = _WideBacklogServer


@pytest.fixture
def wide_server(transactional_db: None) -> Any:
    thread = _WideBacklogThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


def post_json(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, {"unreadable": body[:500].decode(errors="replace")}


def race_posts(url: str, token: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """POST every body from its own thread, all released at once by a barrier."""
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = post_json(url, token, bodies[index])
        except Exception as error:  # the test inspects every outcome
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_create_upload_requests_never_pass_the_hard_quota(wide_server: str) -> None:
    facility = factories.FacilityFactory()
    researcher: User = factories.member(facility=facility, role=Role.RESEARCHER)
    token = issue_token(user=researcher)[1]
    hard = 37 * MB + 123
    factories.quota(facility=facility, user=researcher, hard=hard)
    drafts = [
        factories.SubmissionFactory(owner=researcher, facility=facility) for _ in range(SUBMISSIONS)
    ]
    sizes = [random.Random(11 + i).randint(MB // 2, 6 * MB) for i in range(REQUESTS)]
    assert sum(sizes) > hard
    bodies = [
        {
            "submission": str(drafts[i % SUBMISSIONS].pk),
            "name": f"stack-{i:02}.ome.tif",
            "size": size,
        }
        for i, size in enumerate(sizes)
    ]

    results = race_posts(f"{wide_server}/api/v1/uploads/", token, bodies)

    assert [r for r in results if not isinstance(r, tuple)] == []
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    granted = [size for size, (status, _) in zip(sizes, results, strict=True) if status == 201]
    refused = [
        (size, body) for size, (status, body) in zip(sizes, results, strict=True) if status == 409
    ]
    assert refused, "the uploads together must exceed the quota"
    for _size, body in refused:
        assert body["code"] == "quota_exceeded"
        assert "quota" in body["message"].lower()
    # Never a byte over; and usage only grew during the race, so a refused upload still
    # would not fit now: exactly the ones that fit were admitted.
    assert sum(granted) <= hard
    assert hard - sum(granted) < min(size for size, _ in refused)
    account = QuotaAccount.objects.get(scope=QuotaScope.USER, user=researcher)
    assert account.held_bytes == sum(granted) <= account.hard_limit
    created = DataFile.objects.filter(submission__in=Submission.objects.filter(owner=researcher))
    assert sorted(created.values_list("size", flat=True)) == sorted(granted)
    assert quota.ledger_problems() == []
