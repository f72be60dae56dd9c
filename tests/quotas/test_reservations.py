"""Reservations hold, settle, release and free bytes; the tightest hard limit refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from submissions.accounts.models import Facility, User
from submissions.core.errors import InvalidTransition, NotFound, QuotaExceeded, ValidationFailed
from submissions.quotas.models import QuotaAccount, QuotaReservation, QuotaScope
from submissions.quotas.services import ledger as quota
from submissions.quotas.services.estimate import estimate_converted_bytes
from tests import factories

pytestmark = pytest.mark.django_db

MB = 10**6


@pytest.fixture
def home(researcher: User) -> Facility:
    return researcher.memberships.get().facility


def account(facility: Facility, scope: str, area: str = "staging") -> QuotaAccount:
    return QuotaAccount.objects.get(facility=facility, scope=scope, area=area)


def test_reservation_holds_then_settles_into_usage(researcher: User, home: Facility) -> None:
    r = quota.reserve(user=researcher, facility=home, nbytes=5 * MB)
    assert account(home, QuotaScope.USER).held_bytes == 5 * MB
    assert account(home, QuotaScope.GROUP).held_bytes == 5 * MB
    quota.settle(reservation=r, actual_bytes=5 * MB)
    user_account = account(home, QuotaScope.USER)
    assert (user_account.held_bytes, user_account.used_bytes) == (0, 5 * MB)
    assert account(home, QuotaScope.FACILITY).used_bytes == 5 * MB
    assert quota.ledger_problems() == []


def test_release_gives_bytes_back_once(researcher: User, home: Facility) -> None:
    r = quota.reserve(user=researcher, facility=home, nbytes=MB)
    assert quota.release(reservation=r) is True
    assert quota.release(reservation=r) is False
    assert account(home, QuotaScope.FACILITY).held_bytes == 0
    with pytest.raises(InvalidTransition):
        quota.settle(reservation=r, actual_bytes=MB)
    assert quota.ledger_problems() == []


def test_tightest_limit_refuses_and_names_itself(researcher: User, home: Facility) -> None:
    group = researcher.memberships.get().group
    factories.quota(facility=home, hard=100 * MB)
    factories.quota(facility=home, group=group, hard=10 * MB)
    factories.quota(facility=home, user=researcher, hard=50 * MB)
    quota.reserve(user=researcher, facility=home, nbytes=8 * MB)
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve(user=researcher, facility=home, nbytes=3 * MB)
    assert refused.value.http_status == 409
    assert group.name in refused.value.message
    assert "2.0 MB left" in refused.value.message
    quota.reserve(user=researcher, facility=home, nbytes=2 * MB)  # exactly fits
    assert account(home, QuotaScope.GROUP).held_bytes == 10 * MB
    assert QuotaReservation.objects.count() == 2


def test_limits_in_other_area_do_not_apply(researcher: User, home: Facility) -> None:
    factories.quota(facility=home, hard=MB, area="archive")
    quota.reserve(user=researcher, facility=home, nbytes=5 * MB, area="staging")
    with pytest.raises(QuotaExceeded):
        quota.reserve(user=researcher, facility=home, nbytes=5 * MB, area="archive")


def test_free_counts_deleted_bytes_and_never_goes_negative(
    researcher: User, home: Facility
) -> None:
    r = quota.reserve(user=researcher, facility=home, nbytes=10 * MB)
    quota.settle(reservation=r, actual_bytes=9 * MB)
    assert quota.free(reservation=r, nbytes=4 * MB) == 4 * MB
    assert quota.free(reservation=r, nbytes=100 * MB) == 5 * MB
    assert quota.free(reservation=r) == 0
    assert account(home, QuotaScope.USER).used_bytes == 0
    assert quota.ledger_problems() == []


def test_expired_reservations_are_released_by_the_sweep(researcher: User, home: Facility) -> None:
    stale = quota.reserve(user=researcher, facility=home, nbytes=MB)
    fresh = quota.reserve(user=researcher, facility=home, nbytes=2 * MB)
    QuotaReservation.objects.filter(pk=stale.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert quota.release_expired() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, fresh.state) == ("released", "held")
    assert account(home, QuotaScope.FACILITY).held_bytes == 2 * MB


def test_crossing_the_soft_limit_sends_one_mail(
    researcher: User, home: Facility, facility_admin: User, django_capture_on_commit_callbacks
) -> None:
    factories.quota(facility=home, user=researcher, soft=5 * MB, hard=20 * MB)
    with django_capture_on_commit_callbacks(execute=True):
        quota.reserve(user=researcher, facility=home, nbytes=4 * MB)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        quota.reserve(user=researcher, facility=home, nbytes=2 * MB)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [researcher.email]
    assert "soft limit" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        quota.reserve(user=researcher, facility=home, nbytes=2 * MB)  # already over: no mail
    assert len(mail.outbox) == 1


def test_group_soft_limit_mail_reaches_admins(
    researcher: User, home: Facility, facility_admin: User, django_capture_on_commit_callbacks
) -> None:
    factories.quota(facility=home, group=researcher.memberships.get().group, soft=MB)
    with django_capture_on_commit_callbacks(execute=True):
        quota.reserve(user=researcher, facility=home, nbytes=2 * MB)
    # One message to each person (each sent once, each honouring its reader's settings).
    assert {m.to[0] for m in mail.outbox} == {researcher.email, facility_admin.email}


def test_bad_sizes_and_strangers_are_refused(
    researcher: User, outsider: User, home: Facility
) -> None:
    with pytest.raises(ValidationFailed):
        quota.reserve(user=researcher, facility=home, nbytes=-1)
    with pytest.raises(ValidationFailed):
        quota.reserve(user=researcher, facility=home, nbytes=1, area="elsewhere")
    with pytest.raises(NotFound):
        quota.reserve(user=outsider, facility=home, nbytes=1)


def test_archive_reservation_is_estimated_and_idempotent(researcher: User, home: Facility) -> None:
    submission = factories.SubmissionFactory(
        owner=researcher, facility=home, group=researcher.memberships.get().group
    )
    factories.DataFileFactory(
        submission=submission,
        size=10 * MB,
        status="inspected",  # only files publication archives are estimated
        # What inspection stores (InspectionResult.as_dict()).
        inspection={
            "format_name": "OME-TIFF",
            "series": [
                {"sizes": {"T": 1, "C": 2, "Z": 10, "Y": 1024, "X": 1024}, "pixel_type": "uint16"}
            ],
        },
    )
    first = quota.reserve_for_conversion(submission=submission)
    again = quota.reserve_for_conversion(submission=submission)
    assert first.pk == again.pk
    assert first.area == "archive"
    pixels = 2 * 10 * 1024 * 1024 * 2
    assert first.nbytes >= pixels + 10 * MB  # full resolution + kept original
    assert first.nbytes < pixels * 1.5 + 10 * MB
    quota.settle(reservation=first, actual_bytes=30 * MB)
    assert account(home, QuotaScope.USER, "archive").used_bytes == 30 * MB


def test_estimate_converted_bytes_counts_the_pyramid() -> None:
    base = 4096 * 4096 * 2
    estimate = estimate_converted_bytes(shape=[4096, 4096], dtype="uint16")
    assert base * 1.3 < estimate < base * 1.45
    assert estimate_converted_bytes(shape=[10, 10], dtype="uint8") < 100_000


def test_an_attachment_is_estimated_at_its_own_size(researcher: User, home: Facility) -> None:
    from submissions.quotas.services.estimate import estimate_file_archive_bytes

    submission = factories.SubmissionFactory(
        owner=researcher, facility=home, group=researcher.memberships.get().group
    )
    notes = factories.DataFileFactory(
        submission=submission,
        size=3 * MB,
        inspection={"attachment": True, "note": "notes.pdf is kept as it is."},
    )
    assert estimate_file_archive_bytes(data_file=notes) == 3 * MB
