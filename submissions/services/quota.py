"""The quota service. Uploads call it; they never move bytes without a reservation.

Interface (stable): reserve -> QuotaReservation (raises QuotaExceeded), settle, release; plus
free (settled bytes deleted later), release_expired (the sweep), check_admission (a manifest
checked before any byte moves) and reserve_for_conversion (archive output, estimated at
approval and settled with the real size).

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from submissions.models import (
    Facility,
    Membership,
    QuotaAccount,
    QuotaReservation,
    QuotaScope,
    ResearchGroup,
    ReservationState,
    StorageArea,
    Submission,
    User,
)
from submissions.services.exceptions import (
    InvalidTransition,
    NotFound,
    QuotaExceeded,
    ValidationFailed,
)
from submissions.services.quota_estimate import (
    estimate_converted_bytes,
    estimate_submission_archive_bytes,
)
from submissions.services.units import format_bytes

__all__ = [
    "Admission",
    "check_admission",
    "estimate_converted_bytes",
    "estimate_submission_archive_bytes",
    "free",
    "ledger_problems",
    "release",
    "release_expired",
    "reserve",
    "reserve_for_conversion",
    "settle",
]

AREAS = frozenset(StorageArea.values)
MAX_MANIFEST_FILES = 100_000
MAX_BYTES = 2**62  # far beyond any real dataset; keeps sums inside a signed 64-bit column


# --- Accounts ---------------------------------------------------------------------------------


def get_account(
    *,
    facility: Facility,
    scope: str,
    area: str,
    group: ResearchGroup | None = None,
    user: User | None = None,
) -> QuotaAccount:
    """The account row, created on first use. Two first uses racing both end with the one row."""
    try:
        with transaction.atomic():
            account, _ = QuotaAccount.objects.get_or_create(
                facility=facility, scope=scope, area=area, group=group, user=user
            )
    except IntegrityError:  # the other creator won between our SELECT and INSERT
        account = QuotaAccount.objects.get(
            facility=facility, scope=scope, area=area, group=group, user=user
        )
    return account


def accounts_for(
    *, facility: Facility, group: ResearchGroup | None, user: User, area: str
) -> list[QuotaAccount]:
    """Facility, group (when the user has one) and user accounts of one area, created if new.

    One SELECT when they all exist (the usual case); each missing one is created in its own
    short transaction, before any lock is taken.
    """
    wanted = Q(scope=QuotaScope.FACILITY) | Q(scope=QuotaScope.USER, user=user)
    if group is not None:
        wanted |= Q(scope=QuotaScope.GROUP, group=group)
    found = {
        a.scope: a
        for a in QuotaAccount.objects.filter(wanted, facility=facility, area=area).select_related(
            "facility", "group", "user"
        )
    }
    subjects: list[tuple[str, dict[str, object]]] = [(QuotaScope.FACILITY, {})]
    if group is not None:
        subjects.append((QuotaScope.GROUP, {"group": group}))
    subjects.append((QuotaScope.USER, {"user": user}))
    accounts = []
    for scope, subject in subjects:
        account = found.get(scope)
        if account is None:
            account = get_account(facility=facility, scope=scope, area=area, **subject)  # type: ignore[arg-type]
        accounts.append(account)
    return accounts


def _lock(account_ids: Iterable[int]) -> list[QuotaAccount]:
    """Lock accounts in primary-key order: the one lock order every quota change uses."""
    return list(
        QuotaAccount.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(account_ids)))
        .select_related("facility", "group", "user")
        .order_by("pk")
    )


def _reservation_account_ids(reservation: QuotaReservation) -> list[int]:
    accounts = QuotaAccount.objects.filter(
        facility_id=reservation.facility_id, area=reservation.area
    )
    ids = list(accounts.filter(scope=QuotaScope.FACILITY).values_list("pk", flat=True))
    ids += accounts.filter(scope=QuotaScope.USER, user_id=reservation.user_id).values_list(
        "pk", flat=True
    )
    if reservation.group_id is not None:
        ids += accounts.filter(scope=QuotaScope.GROUP, group_id=reservation.group_id).values_list(
            "pk", flat=True
        )
    return ids


def level_name(account: QuotaAccount) -> str:
    if account.scope == QuotaScope.USER:
        return "your personal quota"
    if account.scope == QuotaScope.GROUP:
        return f"the quota of your group {account.subject_label}"
    return f"the quota of {account.facility.name}"


def _refusal(accounts: Sequence[QuotaAccount], nbytes: int, area: str) -> QuotaExceeded | None:
    """The error naming the tightest hard limit `nbytes` does not fit under, or None."""
    limited = [a for a in accounts if a.hard_limit is not None]
    if not limited:
        return None
    tightest = min(limited, key=lambda a: (a.hard_limit or 0) - a.total_bytes)
    left = max(0, (tightest.hard_limit or 0) - tightest.total_bytes)
    if nbytes <= left:
        return None
    what = "upload" if area == StorageArea.STAGING else "converted dataset"
    return QuotaExceeded(
        f"This {what} needs {format_bytes(nbytes)} but {level_name(tightest)} has "
        f"{format_bytes(left)} left (limit {format_bytes(tightest.hard_limit or 0)}). "
        "Free some space or ask your facility for a larger quota."
    )


def _soft_crossings(accounts: Sequence[QuotaAccount], delta: int) -> list[QuotaAccount]:
    return [
        a
        for a in accounts
        if a.soft_limit is not None and a.total_bytes <= a.soft_limit < a.total_bytes + delta
    ]


def _notify_crossings(crossed: Sequence[QuotaAccount], user_id: int) -> None:
    from submissions.tasks.quota import send_soft_limit_warning

    for account in crossed:
        transaction.on_commit(
            lambda pk=account.pk: send_soft_limit_warning.delay(pk, user_id)  # type: ignore[misc]
        )


def _validate(nbytes: int, area: str) -> None:
    if area not in AREAS:
        raise ValidationFailed(fields={"area": [f"Use one of: {', '.join(sorted(AREAS))}."]})
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or not 0 <= nbytes <= MAX_BYTES:
        raise ValidationFailed(fields={"nbytes": ["Give a whole number of bytes, 0 or more."]})


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
    _validate(nbytes, area)
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None and not user.is_superuser:
        raise NotFound("No such facility.")
    group = submission.group if submission is not None and submission.group_id else None
    if group is None and membership is not None:
        group = membership.group
    ids = [a.pk for a in accounts_for(facility=facility, group=group, user=user, area=area)]
    ttl = timedelta(hours=settings.QUOTA_RESERVATION_TTL_HOURS)
    with transaction.atomic():
        accounts = _lock(ids)
        refusal = _refusal(accounts, nbytes, area)
        if refusal is not None:
            raise refusal
        crossed = _soft_crossings(accounts, nbytes)
        QuotaAccount.objects.filter(pk__in=ids).update(held_bytes=F("held_bytes") + nbytes)
        reservation = QuotaReservation.objects.create(
            user=user,
            facility=facility,
            group=group,
            submission=submission,
            area=area,
            nbytes=nbytes,
            expires_at=timezone.now() + ttl,
        )
        _notify_crossings(crossed, user.pk)
    return reservation


def settle(*, reservation: QuotaReservation, actual_bytes: int) -> QuotaReservation:
    """Turn a held reservation into usage of `actual_bytes` (what really landed).

    `actual_bytes` may differ from the reservation (a conversion estimate); settling records the
    truth and never refuses, since the bytes are already stored.
    """
    _validate(actual_bytes, reservation.area)
    with transaction.atomic():
        accounts = _lock(_reservation_account_ids(reservation))
        updated = QuotaReservation.objects.filter(
            pk=reservation.pk, state=ReservationState.HELD
        ).update(
            state=ReservationState.SETTLED, settled_bytes=actual_bytes, ended_at=timezone.now()
        )
        if not updated:
            raise InvalidTransition("This reservation has already ended.")
        nbytes = QuotaReservation.objects.values_list("nbytes", flat=True).get(pk=reservation.pk)
        crossed = _soft_crossings(accounts, actual_bytes - nbytes)
        QuotaAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
            held_bytes=F("held_bytes") - nbytes, used_bytes=F("used_bytes") + actual_bytes
        )
        _notify_crossings(crossed, reservation.user_id)
    reservation.refresh_from_db()
    return reservation


def release(*, reservation: QuotaReservation) -> bool:
    """Give the held bytes back (abort, expiry). Idempotent: False when it had already ended."""
    with transaction.atomic():
        accounts = _lock(_reservation_account_ids(reservation))
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
        accounts = _lock(_reservation_account_ids(reservation))
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
    return reserve(
        user=submission.owner,
        facility=submission.facility,
        nbytes=estimate_submission_archive_bytes(submission=submission),
        submission=submission,
        area=StorageArea.ARCHIVE,
    )


# --- Admission --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    ok: bool
    total_bytes: int
    file_count: int
    accounts: list[QuotaAccount]
    warnings: list[str] = field(default_factory=list)


def _manifest_total(files: Sequence[dict[str, object]]) -> int:
    if not files:
        raise ValidationFailed(fields={"files": ["List at least one file."]})
    if len(files) > MAX_MANIFEST_FILES:
        raise ValidationFailed(fields={"files": [f"At most {MAX_MANIFEST_FILES} files at once."]})
    total = 0
    for index, item in enumerate(files):
        size = item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_BYTES:
            raise ValidationFailed(
                fields={f"files.{index}.size": ["Give the size in bytes, 0 or more."]}
            )
        total += size
    return total


def check_admission(
    *, user: User, facility: Facility, files: Sequence[dict[str, object]], area: str = "staging"
) -> Admission:
    """Would these files fit now? Raises QuotaExceeded when not; nothing is reserved.

    What fits may stop fitting before the upload starts (someone else uploads); the
    reservation made when each upload is created is the guarantee, this is the early answer.
    """
    _validate(0, area)
    total = _manifest_total(files)
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None and not user.is_superuser:
        raise NotFound("No such facility.")
    group = membership.group if membership else None
    accounts = accounts_for(facility=facility, group=group, user=user, area=area)
    refusal = _refusal(accounts, total, area)
    if refusal is not None:
        count = len(files)
        refusal.message = f"{count} file{'s' if count != 1 else ''}: {refusal.message}"
        raise refusal
    warnings = [
        f"After this upload {level_name(a)} will be over its soft limit of "
        f"{format_bytes(a.soft_limit or 0)}."
        for a in accounts
        if a.soft_limit is not None and a.total_bytes + total > a.soft_limit
    ]
    return Admission(
        ok=True, total_bytes=total, file_count=len(files), accounts=accounts, warnings=warnings
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
