"""The same file started ten times at once (a double-clicking browser, two shells running the
same `aperture upload`) makes one upload and one reservation; the other requests resume it.

Raced through HTTP (POST /api/v1/uploads/, token authentication) against a threaded live
server, each request in its own thread and database connection, as
tests/quotas/test_concurrency_http.py does. PostgreSQL only: SQLite serialises writers, so
nothing would race.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from submissions.accounts.models import Role
from submissions.accounts.tokens import issue_token
from submissions.quotas.models import QuotaAccount, QuotaReservation, QuotaScope
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import DataFile
from tests import factories
from tests.quotas.test_concurrency_http import race_posts, wide_server

__all__ = ["wide_server"]  # the threaded live server the quota races use

pytestmark = [pytest.mark.django_db(transaction=True)]
RACERS = 10
SIZE = 7 * 10**6


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so nothing races")


def _race(url: str, token: str, body: dict[str, Any]) -> list[Any]:
    return race_posts(url, token, [body] * RACERS)


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize(
    "identity",
    [{"fingerprint": "stack.tif|7000000|1732600000"}, {"sha256": "ab" * 32}],
    ids=["fingerprint", "declared-sha256"],
)
def test_identical_concurrent_creations_make_one_upload_and_one_reservation(
    wide_server: str, identity: dict[str, str]
) -> None:
    facility = factories.FacilityFactory()
    researcher = factories.member(facility=facility, role=Role.RESEARCHER)
    token = issue_token(user=researcher)[1]
    draft = factories.SubmissionFactory(owner=researcher, facility=facility)
    body = {"submission": str(draft.pk), "name": "stack.tif", "size": SIZE, **identity}

    results = _race(f"{wide_server}/api/v1/uploads/", token, body)

    assert [r for r in results if not isinstance(r, tuple)] == []
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (RACERS - 1) + [201], results
    assert {answer["id"] for _, answer in results} == {str(DataFile.objects.get().pk)}
    assert [resumed for _, answer in results if (resumed := answer["resumed"])] == [True] * (
        RACERS - 1
    )
    assert DataFile.objects.get().name == "stack.tif"  # not "stack (2).tif" and so on
    assert QuotaReservation.objects.count() == 1
    account = QuotaAccount.objects.get(scope=QuotaScope.USER, user=researcher, area="staging")
    assert account.held_bytes == SIZE
    assert quota.ledger_problems() == []


@pytest.mark.usefixtures("postgres_only")
def test_different_files_started_at_once_are_each_their_own_upload(wide_server: str) -> None:
    facility = factories.FacilityFactory()
    researcher = factories.member(facility=facility, role=Role.RESEARCHER)
    token = issue_token(user=researcher)[1]
    draft = factories.SubmissionFactory(owner=researcher, facility=facility)
    # Same name and size, but each a different local file: nothing to resume.
    body = {"submission": str(draft.pk), "name": "stack.tif", "size": SIZE}

    results = _race(f"{wide_server}/api/v1/uploads/", token, body)

    assert sorted(status for status, _ in results) == [201] * RACERS, results
    assert DataFile.objects.count() == QuotaReservation.objects.count() == RACERS
    assert len(set(DataFile.objects.values_list("name", flat=True))) == RACERS
