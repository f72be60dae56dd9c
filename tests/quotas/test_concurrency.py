"""Many uploads created at once never push usage past a hard limit by a single byte.

Each thread has its own database connection, so the reservations really race in PostgreSQL.
SQLite serialises every writer (IMMEDIATE transactions), so there is nothing to race there:
these tests skip on SQLite and CI runs them on PostgreSQL.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from django.db import connections

from submissions.accounts.models import Facility, ResearchGroup, Role, User
from submissions.core.errors import QuotaExceeded
from submissions.quotas.models import QuotaAccount, QuotaReservation, QuotaScope
from submissions.quotas.services import ledger as quota
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

THREADS = 24
MB = 10**6


def race(jobs: list[Callable[[], object]]) -> list[object]:
    """Run every job in its own thread and connection, all released at the same instant."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = jobs[index]()
        except Exception as error:  # the test inspects every outcome
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def lab() -> tuple[Facility, ResearchGroup, list[User]]:
    facility = factories.FacilityFactory()
    group = factories.GroupFactory(facility=facility)
    people = [factories.member(facility=facility, role=Role.RESEARCHER, group=group) for _ in "abc"]
    return facility, group, people


def test_equal_uploads_exactly_those_that_fit_succeed(
    lab: tuple[Facility, ResearchGroup, list[User]],
) -> None:
    facility, group, people = lab
    hard = 10 * MB + MB // 2  # room for ten 1 MB uploads, not eleven
    factories.quota(facility=facility, group=group, hard=hard)
    factories.quota(facility=facility, hard=100 * MB)
    for person in people:
        factories.quota(facility=facility, user=person, hard=50 * MB)

    def upload(person: User) -> Callable[[], object]:
        return lambda: quota.reserve(user=person, facility=facility, nbytes=MB)

    results = race([upload(people[i % len(people)]) for i in range(THREADS)])

    granted = [r for r in results if isinstance(r, QuotaReservation)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(granted) == 10, results
    assert len(refused) == THREADS - 10, results
    account = QuotaAccount.objects.get(scope=QuotaScope.GROUP, group=group)
    assert account.held_bytes == 10 * MB <= hard
    assert QuotaAccount.objects.get(scope=QuotaScope.FACILITY, facility=facility).held_bytes == (
        10 * MB
    )
    assert quota.ledger_problems() == []


def test_mixed_sizes_never_pass_the_limit_and_leave_no_fitting_upload_refused(
    lab: tuple[Facility, ResearchGroup, list[User]],
) -> None:
    facility, _group, people = lab
    hard = 37 * MB + 123
    factories.quota(facility=facility, hard=hard)
    sizes = [random.Random(7 + i).randint(1, 6 * MB) for i in range(THREADS + 6)]

    def upload(index: int) -> Callable[[], object]:
        person = people[index % len(people)]
        return lambda: quota.reserve(user=person, facility=facility, nbytes=sizes[index])

    results = race([upload(i) for i in range(len(sizes))])

    assert all(isinstance(r, QuotaReservation | QuotaExceeded) for r in results), results
    granted = sum(s for s, r in zip(sizes, results, strict=True) if isinstance(r, QuotaReservation))
    refused = [s for s, r in zip(sizes, results, strict=True) if isinstance(r, QuotaExceeded)]
    assert refused, "the uploads together must exceed the quota"
    assert granted <= hard
    # Usage only grew during the race, so anything refused would still not fit now.
    assert hard - granted < min(refused)
    account = QuotaAccount.objects.get(scope=QuotaScope.FACILITY, facility=facility)
    assert account.held_bytes == granted
    assert quota.ledger_problems() == []


def test_concurrent_settles_releases_and_reserves_keep_the_ledger(
    lab: tuple[Facility, ResearchGroup, list[User]],
) -> None:
    facility, group, people = lab
    factories.quota(facility=facility, group=group, hard=40 * MB)
    existing = [
        quota.reserve(user=people[i % 3], facility=facility, nbytes=2 * MB) for i in range(12)
    ]
    jobs: list[Callable[[], object]] = []
    for index, reservation in enumerate(existing):
        if index % 3 == 0:
            jobs.append(lambda r=reservation: quota.settle(reservation=r, actual_bytes=MB))
        elif index % 3 == 1:
            jobs.append(lambda r=reservation: quota.release(reservation=r))
            jobs.append(lambda r=reservation: quota.release(reservation=r))  # a double click
        else:
            jobs.append(lambda r=reservation: quota.settle(reservation=r, actual_bytes=2 * MB))
    jobs += [
        lambda p=people[i % 3]: quota.reserve(user=p, facility=facility, nbytes=3 * MB)
        for i in range(10)
    ]

    results = race(jobs)

    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, QuotaExceeded)
    ]
    assert unexpected == []
    account = QuotaAccount.objects.get(scope=QuotaScope.GROUP, group=group)
    assert account.total_bytes <= 40 * MB
    assert quota.ledger_problems() == []
