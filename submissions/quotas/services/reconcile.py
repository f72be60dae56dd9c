"""The nightly reconciliation: does the ledger count what the storages hold? Drift is repaired
and recorded as a FacilityAuditEvent ("ledger.drift") of the facility it belongs to.

What is compared:
- staging: each upload's object (`uploads/<submission>/<file>`) against what its file's
  reservation counts. Previews are Aperture's own and not charged. Uploads still in flight
  are left alone (their held reservation covers them), and so is anything that changed since
  the run began.
- archive: everything under `datasets/<accession>/` of a published (or withdrawn) dataset
  against its settled archive reservations. A dataset still being converted holds an
  estimate and is left alone.
- accounts: each account's running totals against the sum of its reservations.

How drift is repaired: bytes the ledger says are gone (a removed file, a deleted draft,
staging freed after publication, an aborted upload) are deleted from staging; stored bytes
with no reservation get one; a count that differs from what is stored is corrected to it
(ledger.correct); account totals are recomputed from their reservations. The archive is
never deleted from: an archive object no dataset explains is reported for an operator.

Storage is listed first and the database read after: a row always exists before its bytes
are written, so an object with no row really is an orphan.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from submissions.accounts.models import FacilityAuditEvent
from submissions.core import storage
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.quotas.models import (
    QuotaAccount,
    QuotaReservation,
    QuotaScope,
    ReservationState,
    StorageArea,
)
from submissions.quotas.services import ledger
from submissions.quotas.services.limits import lock_accounts
from submissions.uploads.models import DataFile, FileStatus

log = logging.getLogger(__name__)
ARCHIVED_STATUSES = (SubmissionStatus.PUBLISHED, SubmissionStatus.TOMBSTONED)
MAX_ITEMS_PER_EVENT = 100


@dataclass(frozen=True)
class Drift:
    facility_id: int | None
    area: str
    what: str  # the object, dataset or account, for people
    ledger_bytes: int
    stored_bytes: int
    repair: str  # what was (or would be) done, as a clause
    account: bool = False  # an account's totals against its reservations, not storage

    def sentence(self) -> str:
        if self.account:
            return (
                f"{self.area.capitalize()} {self.what}: its totals said "
                f"{format_bytes(self.ledger_bytes)}, its reservations add up to "
                f"{format_bytes(self.stored_bytes)}; {self.repair}."
            )
        return (
            f"{self.area.capitalize()}, {self.what}: the ledger counted "
            f"{format_bytes(self.ledger_bytes)}, storage holds {format_bytes(self.stored_bytes)}; "
            f"{self.repair}."
        )


@dataclass
class Report:
    objects_checked: int = 0
    drifts: list[Drift] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [d.sentence() for d in self.drifts]


def reconcile(*, repair: bool = True) -> Report:
    """Compare the ledger with staging and archive storage; repair (unless `repair` is False)
    and record what differed. Returns the report."""
    started = timezone.now()
    report = Report()
    staged = storage.list_all(storage=storage.staging())
    archived = storage.list_all(storage=storage.archive())
    report.objects_checked = len(staged) + len(archived)
    # Totals first: the repairs below move them by differences, from a sound start.
    _totals(repair=repair, report=report)
    _staging(staged, started=started, repair=repair, report=report)
    _archive(archived, repair=repair, report=report)
    _record(report, repaired=repair)
    return report


# --- staging ----------------------------------------------------------------------------------


def _counted(reservation: QuotaReservation | None) -> int:
    if reservation is None or reservation.state != ReservationState.SETTLED:
        return 0
    return (reservation.settled_bytes or 0) - reservation.deleted_bytes


def _staging(listed: dict[str, int], *, started: datetime, repair: bool, report: Report) -> None:
    uploads = {key: size for key, size in listed.items() if key.startswith("uploads/")}
    files = DataFile.objects.select_related("reservation", "submission", "submission__facility")
    to_delete: list[str] = []
    for data_file in files.iterator(chunk_size=1000):
        stored = uploads.pop(data_file.storage_key, None)
        moments = (data_file.created_at, data_file.last_activity_at, data_file.uploaded_at)
        changed_since = any(moment is not None and moment >= started for moment in moments)
        reservation = data_file.reservation
        held = reservation is not None and reservation.state == ReservationState.HELD
        if data_file.status == FileStatus.UPLOADING or changed_since or held:
            continue  # in flight: its held reservation covers it (or the sweep releases it)
        counted = _counted(reservation)
        if counted == (stored or 0):
            continue
        facility_id = data_file.submission.facility_id
        what = f"“{data_file.name}” ({data_file.storage_key})"
        if stored and not counted and _meant_gone(data_file, reservation):
            report.drifts.append(
                Drift(facility_id, "staging", what, 0, stored, "the object was deleted")
            )
            to_delete.append(data_file.storage_key)
            continue
        if reservation is None or reservation.state != ReservationState.SETTLED:
            repair_text = "it is now counted"
            if repair:
                with transaction.atomic():
                    recorded = ledger.record_usage(
                        user=data_file.uploader or data_file.submission.owner,
                        facility=data_file.submission.facility,
                        group=data_file.submission.group,
                        nbytes=stored or 0,
                        submission=data_file.submission,
                    )
                    DataFile.objects.filter(pk=data_file.pk).update(reservation=recorded)
        else:
            repair_text = "the count was corrected"
            if repair:
                ledger.correct(reservation=reservation, stored_bytes=stored or 0)
        report.drifts.append(Drift(facility_id, "staging", what, counted, stored or 0, repair_text))
    # Upload objects no file row explains: removed files, deleted drafts. An upload being
    # created writes its object just before its row commits, so young orphans are left alone.
    grace = timedelta(seconds=settings.LEDGER_ORPHAN_GRACE_SECONDS)
    for key, size in uploads.items():
        if not _older_than(key, started - grace):
            continue
        submission_id = key.split("/")[1] if key.count("/") >= 2 else ""
        orphan_facility = _facility_of(submission_id)
        report.drifts.append(
            Drift(orphan_facility, "staging", key, 0, size, "the orphaned object was deleted")
        )
        to_delete.append(key)
    if repair and to_delete:
        storage.delete_keys(storage=storage.staging(), keys=to_delete)


def _meant_gone(data_file: DataFile, reservation: QuotaReservation | None) -> bool:
    """The ledger gave these bytes back on purpose: an aborted upload, or staging freed."""
    if data_file.status == FileStatus.ABORTED:
        return True
    if reservation is None:
        return False
    if reservation.state == ReservationState.RELEASED:
        return True
    return reservation.state == ReservationState.SETTLED and reservation.deleted_bytes > 0


def _older_than(key: str, moment: datetime) -> bool:
    try:
        return bool(storage.staging().get_modified_time(key) < moment)
    except Exception:  # gone meanwhile (OSError, S3's 404), or no time known: not now
        return False


def _facility_of(submission_id: str) -> int | None:
    """The facility of a submission that may have been deleted (None then)."""
    try:
        uuid.UUID(submission_id)
    except ValueError:
        return None
    found = Submission.objects.filter(pk=submission_id).values_list("facility_id", flat=True)
    return found.first()


# --- archive ----------------------------------------------------------------------------------


def _archive(listed: dict[str, int], *, repair: bool, report: Report) -> None:
    by_accession: dict[str, int] = defaultdict(int)
    for key, size in listed.items():
        parts = key.split("/")
        if len(parts) >= 3 and parts[0] == "datasets":
            by_accession[parts[1]] += size
    submissions = {
        s.accession: s
        for s in Submission.objects.filter(accession__in=list(by_accession))
        .select_related("facility", "group", "owner")
        .only("pk", "accession", "status", "facility", "group", "owner")
    }
    published = Submission.objects.filter(status__in=ARCHIVED_STATUSES).exclude(accession=None)
    for submission in published.select_related("facility", "group", "owner").iterator():
        submissions.setdefault(submission.accession or "", submission)
    submissions.pop("", None)
    for accession, submission in sorted(submissions.items()):
        if not accession:
            continue
        stored = by_accession.pop(accession, 0)
        if submission.status not in ARCHIVED_STATUSES:
            continue  # approved or converting: its held estimate covers it
        reservations = list(
            QuotaReservation.objects.filter(
                submission=submission, area=StorageArea.ARCHIVE, state=ReservationState.SETTLED
            ).order_by("pk")
        )
        counted = sum(_counted(r) for r in reservations)
        if counted == stored:
            continue
        what = f"dataset {accession}"
        if not reservations:
            if repair:
                ledger.record_usage(
                    user=submission.owner,
                    facility=submission.facility,
                    group=submission.group,
                    nbytes=stored,
                    submission=submission,
                    area=StorageArea.ARCHIVE,
                )
            text = "it is now counted"
        else:
            if repair:
                _spread(reservations, stored)
            text = "the count was corrected"
        report.drifts.append(Drift(submission.facility_id, "archive", what, counted, stored, text))
    for accession, size in sorted(by_accession.items()):
        report.drifts.append(
            Drift(
                None,
                "archive",
                f"datasets/{accession}/",
                0,
                size,
                "no dataset explains these objects; they were kept for an operator to decide",
            )
        )


def _spread(reservations: list[QuotaReservation], stored: int) -> None:
    """Correct several settled reservations of one dataset so together they count `stored`."""
    remaining = stored
    for index, reservation in enumerate(reservations):
        last = index == len(reservations) - 1
        target = remaining if last else min(_counted(reservation), remaining)
        if target != _counted(reservation):
            ledger.correct(reservation=reservation, stored_bytes=target)
        remaining -= target


# --- account totals ---------------------------------------------------------------------------


def _totals(*, repair: bool, report: Report) -> None:
    for account in QuotaAccount.objects.select_related("facility", "group", "user").order_by("pk"):
        reservations = QuotaReservation.objects.filter(
            facility_id=account.facility_id, area=account.area
        )
        if account.scope == QuotaScope.GROUP:
            reservations = reservations.filter(group_id=account.group_id)
        elif account.scope == QuotaScope.USER:
            reservations = reservations.filter(user_id=account.user_id or 0)
        with transaction.atomic():
            (locked,) = lock_accounts([account.pk]) if repair else (account,)
            held = reservations.filter(state=ReservationState.HELD).aggregate(n=Sum("nbytes"))["n"]
            used = reservations.filter(state=ReservationState.SETTLED).aggregate(
                n=Sum(F("settled_bytes") - F("deleted_bytes"))
            )["n"]
            held, used = held or 0, used or 0
            if (held, used) == (locked.held_bytes, locked.used_bytes):
                continue
            if repair:
                QuotaAccount.objects.filter(pk=locked.pk).update(held_bytes=held, used_bytes=used)
        what = f"account of {locked.subject_label} ({locked.get_scope_display().lower()})"
        report.drifts.append(
            Drift(
                locked.facility_id,
                locked.area,
                what,
                locked.used_bytes + locked.held_bytes,
                used + held,
                "its totals were recomputed from its reservations",
                account=True,
            )
        )


# --- reporting --------------------------------------------------------------------------------


def _record(report: Report, *, repaired: bool) -> None:
    by_facility: dict[int | None, list[Drift]] = defaultdict(list)
    for drift in report.drifts:
        by_facility[drift.facility_id].append(drift)
    for facility_id, drifts in by_facility.items():
        for drift in drifts:
            log.warning("ledger drift: %s", drift.sentence())
        if facility_id is None or not repaired:
            continue
        count = len(drifts)
        FacilityAuditEvent.objects.create(
            facility_id=facility_id,
            actor=None,
            kind="ledger.drift",
            summary=(
                f"The nightly storage check found {count} difference{'s' if count != 1 else ''} "
                "between the quota ledger and what storage holds, and repaired "
                f"{'them' if count != 1 else 'it'}."
            )[:500],
            data={"differences": [d.sentence() for d in drifts[:MAX_ITEMS_PER_EVENT]]},
        )
