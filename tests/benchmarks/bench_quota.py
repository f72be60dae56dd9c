"""Reservation throughput under contention: locked reserve() vs. an unlocked insert (peer).

Every thread reserves against the same facility and group, so all of them contend for the same
account rows; the peer is what the foundation did before limits existed (insert a
reservation, no locks, no checks). Run on PostgreSQL: DATABASE_URL=postgres://... make bench-quota
"""

from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from submissions.accounts.models import Facility, Membership, ResearchGroup, Role, User  # noqa: E402
from submissions.quotas.models import QuotaReservation  # noqa: E402
from submissions.quotas.services import ledger as quota  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", "8"))
PER_THREAD = int(os.environ.get("BENCH_PER_THREAD", "100"))


def run(label: str, job) -> None:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        barrier.wait()
        for _ in range(PER_THREAD):
            job(index)
        connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(f"BENCH {label}_per_second {THREADS * PER_THREAD / elapsed:.0f}")


def main() -> None:
    call_command("migrate", verbosity=0)
    facility, _ = Facility.objects.get_or_create(slug="bench-quota", defaults={"name": "Bench"})
    group, _ = ResearchGroup.objects.get_or_create(facility=facility, name="Bench lab")
    users = []
    for index in range(THREADS):
        user = User.objects.filter(email=f"bench{index}@bench.quota").first() or (
            User.objects.create_user(email=f"bench{index}@bench.quota")
        )
        Membership.objects.get_or_create(
            user=user, facility=facility, defaults={"role": Role.RESEARCHER, "group": group}
        )
        users.append(user)
    quota.reserve(user=users[0], facility=facility, nbytes=0)  # accounts exist before timing
    print(f"BENCH database {connection.vendor}")
    print(f"BENCH threads {THREADS}")
    run(
        "peer_unlocked_insert",
        lambda i: QuotaReservation.objects.create(
            user=users[i], facility=facility, group=group, nbytes=1
        ),
    )
    QuotaReservation.objects.filter(facility=facility).delete()
    run("reserve_locked", lambda i: quota.reserve(user=users[i], facility=facility, nbytes=1))
    print(f"BENCH ledger_problems {len(quota.ledger_problems(facility=facility))}")
    QuotaReservation.objects.filter(facility=facility).delete()
    facility.quota_accounts.all().delete()


if __name__ == "__main__":
    main()
