"""The quota service. Uploads call it; they never move bytes without a reservation.

Interface (stable): reserve -> QuotaReservation (raises QuotaExceeded), settle, release; plus
free (settled bytes deleted later), release_expired (the sweep), reserve_for_conversion
(archive output, estimated at approval and settled with the real size: services/datasets.py
says when), and for reconciliation record_usage (stored, never reserved) and correct (count
what storage holds). Accounts, limits and
the admission check (a manifest checked before any byte moves) are in quota_limits.py.

How it holds under concurrency: quota limits and the running totals live on QuotaAccount rows,
one per facility, group and user for each storage area. Every change locks the accounts it
touches with `select_for_update()` in primary-key order (the same order everywhere, so two
reservations never wait on each other in a cycle), checks the hard limits on the locked rows,
then moves bytes with F() updates in the same transaction. On SQLite the IMMEDIATE
transactions serialise writers, which gives the same guarantee.

The ledger adds up: for every account, used_bytes = sum(settled - deleted) and held_bytes =
sum(nbytes of held reservations) over the reservations it covers (ledger_problems checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from submissions.accounts.models import Facility, Membership, ResearchGroup, User
from submissions.core import dispatch
from submissions.core.errors import InvalidTransition, NotFound
from submissions.lifecycle.models import Submission
from submissions.quotas.models import (
    QuotaAccount,
    QuotaReservation,
    QuotaScope,
    ReservationState,
    StorageArea,
)
from submissions.quotas.services.estimate import estimate_submission_archive_bytes
from submissions.quotas.services.limits import (
    accounts_for,
    limit_refusal,
    lock_accounts,
    reservation_account_ids,
    soft_limit_crossings,
    validate_amount,
)

__all__ = [
    "correct",
    "free",
    "hold",
    "ledger_problems",
    "record_usage",
    "release",
    "release_expired",
    "reserve",
    "reserve_for_conversion",
    "settle",
]


def _notify_crossings(crossed: Sequence[QuotaAccount], user_id: int, trigger: str) -> None:
    """One warning mail per account whose soft limit this change crossed (`trigger` names the
    change, so a retried mail task never sends a crossing twice)."""
    for account in crossed:
        dispatch.soft_limit_mail(account_id=account.pk, user_id=user_id, key=trigger)


# --- Reservations -----------------------------------------------------------------------------


def reserve(
    *,
    user: User,
    facility: Facility,
    nbytes: int,
    submission: Submission | None = None,
    area: str = "staging",
) -> QuotaReservation:
    """Hold `nbytes` for `user` in `facility`, or raise QuotaExceeded naming the tightest limit.

    The group charged is the submission's group, else the user's group in the facility.
    """
    validate_amount(nbytes, area)
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None and not user.is_superuser:
        raise NotFound("No such facility.")
    group = submission.group if submission is not None and submission.group_id else None
    if group is None and membership is not None:
        group = membership.group
    return hold(
        user=user, facility=facility, group=group, nbytes=nbytes, submission=submission, area=area
    )


def hold(
    *,
    user: User,
    facility: Facility,
    group: ResearchGroup | None,
    nbytes: int,
    submission: Submission | None = None,
    area: str = "staging",
) -> QuotaReservation:
    """`reserve` for a charge whose user and group the caller already knows (no membership
    check: a dataset stays its owner's after they leave the facility).

    Staging holds expire (an upload nobody finishes); archive holds do not: a conversion may
    run for days or wait for a retry, and publication settles it.
    """
    validate_amount(nbytes, area)
    ids = [a.pk for a in accounts_for(facility=facility, group=group, user=user, area=area)]
    ttl = timedelta(hours=settings.QUOTA_RESERVATION_TTL_HOURS)
    with transaction.atomic():
        accounts = lock_accounts(ids)
        refusal = limit_refusal(accounts, nbytes, area)
        if refusal is not None:
            raise refusal
        crossed = soft_limit_crossings(accounts, nbytes)
        QuotaAccount.objects.filter(pk__in=ids).update(held_bytes=F("held_bytes") + nbytes)
        reservation = QuotaReservation.objects.create(
            user=user,
            facility=facility,
            group=group,
            submission=submission,
            area=area,
            nbytes=nbytes,
            expires_at=None if area == StorageArea.ARCHIVE else timezone.now() + ttl,
        )
        _notify_crossings(crossed, user.pk, f"reserve:{reservation.pk}")
    return reservation


def record_usage(
    *,
    user: User,
    facility: Facility,
    group: ResearchGroup | None,
    nbytes: int,
    submission: Submission | None = None,
    area: str = "staging",
) -> QuotaReservation:
    """Count bytes that are already stored but were never reserved (found by reconciliation,
    or an archive written before its reservation existed). Never refuses: they are there."""
    validate_amount(nbytes, area)
    ids = [a.pk for a in accounts_for(facility=facility, group=group, user=user, area=area)]
    now = timezone.now()
    with transaction.atomic():
        accounts = lock_accounts(ids)
        crossed = soft_limit_crossings(accounts, nbytes)
        QuotaAccount.objects.filter(pk__in=ids).update(used_bytes=F("used_bytes") + nbytes)
        reservation = QuotaReservation.objects.create(
            user=user,
            facility=facility,
            group=group,
            submission=submission,
            area=area,
            nbytes=nbytes,
            settled_bytes=nbytes,
            state=ReservationState.SETTLED,
            ended_at=now,
        )
        _notify_crossings(crossed, user.pk, f"record:{reservation.pk}")
    return reservation


def correct(*, reservation: QuotaReservation, stored_bytes: int) -> int:
    """Make a settled reservation count exactly `stored_bytes` (what storage holds now).

    Fewer bytes are recorded as deleted; more raise what was settled. Returns the change
    (positive: more counted). Used by reconciliation only.
    """
    validate_amount(stored_bytes, reservation.area)
    with transaction.atomic():
        accounts = lock_accounts(reservation_account_ids(reservation))
        locked = QuotaReservation.objects.select_for_update(of=("self",)).get(pk=reservation.pk)
        if locked.state != ReservationState.SETTLED:
            raise InvalidTransition("Only settled bytes can be corrected.")
        counted = (locked.settled_bytes or 0) - locked.deleted_bytes
        delta = stored_bytes - counted
        if delta < 0:
            QuotaReservation.objects.filter(pk=locked.pk).update(
                deleted_bytes=F("deleted_bytes") - delta
            )
        elif delta > 0:
            # What was deleted stays deleted; the extra bytes are settled on top.
            QuotaReservation.objects.filter(pk=locked.pk).update(
                settled_bytes=F("settled_bytes") + delta
            )
        if delta:
            QuotaAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
                used_bytes=F("used_bytes") + delta
            )
    reservation.refresh_from_db()
    return delta


def settle(*, reservation: QuotaReservation, actual_bytes: int) -> QuotaReservation:
    """Turn a held reservation into usage of `actual_bytes` (what really landed).

    `actual_bytes` may differ from the reservation (a conversion estimate); settling records the
    truth and never refuses, since the bytes are already stored.
    """
    validate_amount(actual_bytes, reservation.area)
    with transaction.atomic():
        accounts = lock_accounts(reservation_account_ids(reservation))
        updated = QuotaReservation.objects.filter(
            pk=reservation.pk, state=ReservationState.HELD
        ).update(
            state=ReservationState.SETTLED, settled_bytes=actual_bytes, ended_at=timezone.now()
        )
        if not updated:
            raise InvalidTransition("This reservation has already ended.")
        nbytes = QuotaReservation.objects.values_list("nbytes", flat=True).get(pk=reservation.pk)
        crossed = soft_limit_crossings(accounts, actual_bytes - nbytes)
        QuotaAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
            held_bytes=F("held_bytes") - nbytes, used_bytes=F("used_bytes") + actual_bytes
        )
        _notify_crossings(crossed, reservation.user_id, f"settle:{reservation.pk}")
    reservation.refresh_from_db()
    return reservation


def release(*, reservation: QuotaReservation) -> bool:
    """Give the held bytes back (abort, expiry). Idempotent: False when it had already ended."""
    with transaction.atomic():
        accounts = lock_accounts(reservation_account_ids(reservation))
        updated = QuotaReservation.objects.filter(
            pk=reservation.pk, state=ReservationState.HELD
        ).update(state=ReservationState.RELEASED, ended_at=timezone.now())
        if updated:
            nbytes = QuotaReservation.objects.values_list("nbytes", flat=True).get(
                pk=reservation.pk
            )
            QuotaAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
                held_bytes=F("held_bytes") - nbytes
            )
    reservation.refresh_from_db()
    return bool(updated)


def free(*, reservation: QuotaReservation, nbytes: int | None = None) -> int:
    """Record that settled bytes were deleted (all that remain when `nbytes` is None).

    Returns the bytes freed; never frees more than the reservation still counts.
    """
    with transaction.atomic():
        accounts = lock_accounts(reservation_account_ids(reservation))
        locked = QuotaReservation.objects.select_for_update(of=("self",)).get(pk=reservation.pk)
        if locked.state != ReservationState.SETTLED:
            raise InvalidTransition("Only settled bytes can be freed; release a held reservation.")
        remaining = (locked.settled_bytes or 0) - locked.deleted_bytes
        amount = remaining if nbytes is None else max(0, min(nbytes, remaining))
        if amount:
            QuotaReservation.objects.filter(pk=locked.pk).update(
                deleted_bytes=F("deleted_bytes") + amount
            )
            QuotaAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
                used_bytes=F("used_bytes") - amount
            )
    reservation.refresh_from_db()
    return amount


def release_expired() -> int:
    """The sweep: release held reservations past their expiry. Returns how many it released."""
    released = 0
    expired = QuotaReservation.objects.filter(
        state=ReservationState.HELD, expires_at__lt=timezone.now()
    )
    for reservation in expired.order_by("pk")[:5000]:
        released += release(reservation=reservation)
    return released


def reserve_for_conversion(*, submission: Submission) -> QuotaReservation:
    """Hold archive bytes for a submission's converted output, estimated from its inspection.

    Idempotent: a submission has at most one live archive reservation; calling again returns
    it. The processing code settles it with the real size once the output is written.
    """
    existing = (
        QuotaReservation.objects.filter(submission=submission, area=StorageArea.ARCHIVE)
        .exclude(state=ReservationState.RELEASED)
        .first()
    )
    if existing is not None:
        return existing
    return hold(
        user=submission.owner,
        facility=submission.facility,
        group=submission.group,
        nbytes=estimate_submission_archive_bytes(submission=submission),
        submission=submission,
        area=StorageArea.ARCHIVE,
    )


# --- The ledger adds up -----------------------------------------------------------------------


def ledger_problems(*, facility: Facility | None = None) -> list[str]:
    """Every account whose totals differ from what its reservations say. Empty means sound."""
    problems = []
    accounts = QuotaAccount.objects.all()
    if facility is not None:
        accounts = accounts.filter(facility=facility)
    for account in accounts.select_related("facility", "group", "user"):
        reservations = QuotaReservation.objects.filter(
            facility_id=account.facility_id, area=account.area
        )
        if account.scope == QuotaScope.GROUP:
            reservations = reservations.filter(group_id=account.group_id)
        elif account.scope == QuotaScope.USER:
            reservations = reservations.filter(user_id=account.user_id or 0)
        held = reservations.filter(state=ReservationState.HELD).aggregate(n=Sum("nbytes"))["n"]
        used = reservations.filter(state=ReservationState.SETTLED).aggregate(
            n=Sum(F("settled_bytes") - F("deleted_bytes"))
        )["n"]
        held, used = held or 0, used or 0
        if (held, used) != (account.held_bytes, account.used_bytes):
            problems.append(
                f"{account} #{account.pk}: held {account.held_bytes} (journal {held}), "
                f"used {account.used_bytes} (journal {used})"
            )
    return problems
