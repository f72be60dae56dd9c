"""Quota accounts and their limits, and the admission check that asks before bytes move.

Here: which accounts a change touches, the one lock order, which hard limit refuses and
which soft limits a change crosses. The ledger (reserve, settle, release, free) is in
services/quota.py and takes all of these from here, so every change locks in the same order
and refuses the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q

from submissions.accounts.models import Facility, Membership, ResearchGroup, User
from submissions.core.errors import NotFound, QuotaExceeded, ValidationFailed
from submissions.core.units import format_bytes
from submissions.quotas.models import QuotaAccount, QuotaReservation, QuotaScope, StorageArea

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


def lock_accounts(account_ids: Iterable[int]) -> list[QuotaAccount]:
    """Lock accounts in primary-key order: the one lock order every quota change uses."""
    return list(
        QuotaAccount.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(account_ids)))
        .select_related("facility", "group", "user")
        .order_by("pk")
    )


def reservation_account_ids(reservation: QuotaReservation) -> list[int]:
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


def limit_refusal(accounts: Sequence[QuotaAccount], nbytes: int, area: str) -> QuotaExceeded | None:
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


def soft_limit_crossings(accounts: Sequence[QuotaAccount], delta: int) -> list[QuotaAccount]:
    return [
        a
        for a in accounts
        if a.soft_limit is not None and a.total_bytes <= a.soft_limit < a.total_bytes + delta
    ]


def validate_amount(nbytes: int, area: str) -> None:
    if area not in AREAS:
        raise ValidationFailed(fields={"area": [f"Use one of: {', '.join(sorted(AREAS))}."]})
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or not 0 <= nbytes <= MAX_BYTES:
        raise ValidationFailed(fields={"nbytes": ["Give a whole number of bytes, 0 or more."]})


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
    validate_amount(0, area)
    total = _manifest_total(files)
    membership = Membership.objects.filter(user=user, facility=facility).first()
    if membership is None and not user.is_superuser:
        raise NotFound("No such facility.")
    group = membership.group if membership else None
    accounts = accounts_for(facility=facility, group=group, user=user, area=area)
    refusal = limit_refusal(accounts, total, area)
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
