"""The nightly reconciliation reads an S3 bucket as it reads a folder (through
submissions.core.storage): on a moto S3 server, an upload whose stored size differs from the
ledger is corrected, a freed upload left in the bucket and an orphan are deleted."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.quotas.models import QuotaAccount
from submissions.quotas.services import ledger, reconcile
from submissions.uploads.models import DataFile, FileStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_archive(settings: Any, tmp_path: Path) -> None:
    storages = dict(settings.STORAGES)
    storages["archive"] = {**storages["archive"], "OPTIONS": {"location": tmp_path / "archive"}}
    settings.STORAGES = storages


def stored_file(researcher: User, submission: Any, size: int, client: Any, body: bytes) -> DataFile:
    """A verified upload whose `size` bytes the ledger counts, and `body` in the bucket."""
    reservation = ledger.reserve(user=researcher, facility=submission.facility, nbytes=size)
    ledger.settle(reservation=reservation, actual_bytes=size)
    file_id = uuid.uuid4()
    data_file = DataFile.objects.create(
        id=file_id,
        submission=submission,
        name=f"{file_id}.ome.tif",
        storage_key=f"uploads/{submission.pk}/{file_id}",
        size=size,
        status=FileStatus.INSPECTED,
        reservation=reservation,
    )
    client.put_object(Bucket=client.bucket, Key=data_file.storage_key, Body=body)
    return data_file


def test_reconciliation_works_on_s3(
    researcher: User, s3_staging: Any, empty_archive: None, settings: Any
) -> None:
    settings.LEDGER_ORPHAN_GRACE_SECONDS = 0  # moto cannot age an object
    facility = researcher.memberships.get().facility
    submission = factories.SubmissionFactory(owner=researcher, facility=facility)
    shrunk = stored_file(researcher, submission, 9_000, s3_staging, b"a" * 4_000)
    freed = stored_file(researcher, submission, 3_000, s3_staging, b"b" * 3_000)
    ledger.free(reservation=freed.reservation)  # e.g. staging freed after publication
    orphan = f"uploads/{submission.pk}/{uuid.uuid4()}"
    s3_staging.put_object(Bucket=s3_staging.bucket, Key=orphan, Body=b"c" * 1_500)
    time.sleep(1.1)  # S3 keeps LastModified in whole seconds

    report = reconcile.reconcile(repair=True)

    assert len(report.drifts) == 3, report.lines()
    keys = {o["Key"] for o in s3_staging.list_objects_v2(Bucket=s3_staging.bucket)["Contents"]}
    assert keys == {shrunk.storage_key}
    account = QuotaAccount.objects.get(facility=facility, scope="facility", area="staging")
    assert account.used_bytes == 4_000
    assert ledger.ledger_problems(facility=facility) == []
    assert reconcile.reconcile(repair=True).drifts == []
