"""The beat's upload sweep: an upload that never receives a byte gives its reservation back
after UPLOAD_FIRST_BYTE_MINUTES, not after a day; stray temporary parts are deleted."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.storage import storages
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaAccount
from submissions.uploads.models import DataFile
from submissions.uploads.tasks import expire_stale_uploads
from tests.conftest import client_for
from tests.uploads.helpers import b64sha256, create, put_part, sign

pytestmark = [pytest.mark.django_db]
DATA = os.urandom(200 * 1024)


def _held(user: User) -> int:
    return QuotaAccount.objects.get(scope="user", user=user, area="staging").held_bytes


def _age(upload_id: str, minutes: int) -> None:
    DataFile.objects.filter(pk=upload_id).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


@pytest.mark.usefixtures("small_parts")
def test_an_upload_with_no_byte_after_the_first_byte_limit_releases_its_reservation(
    researcher: User, draft: Submission, commits: Any, settings: Any
) -> None:
    settings.UPLOAD_FIRST_BYTE_MINUTES = 60
    client = client_for(researcher)
    empty = create(client, draft, "never.tif", b"\0" * 5 * 10**9).json()  # 5 GB, no byte sent
    young = create(client, draft, "young.tif", DATA).json()
    started = create(client, draft, "started.tif", DATA).json()
    assert put_part(client, started, 1, DATA).status_code == 200
    # Signing parts or asking what arrived keeps an upload "active", but brings no byte.
    sign(client, empty["id"], 1, b64sha256(b"x"))
    client.get(f"/api/v1/uploads/{empty['id']}/parts/")
    _age(empty["id"], 61)
    _age(started["id"], 61)
    _age(young["id"], 59)
    assert _held(researcher) == 5 * 10**9 + 2 * len(DATA)

    with commits():
        assert expire_stale_uploads() == 1

    never = DataFile.objects.get(pk=empty["id"])
    assert (never.status, never.failure_code) == ("aborted", "expired")
    assert "No byte arrived within 60 minutes" in never.failure_message
    assert never.reservation is not None
    assert never.reservation.state == "released"
    assert _held(researcher) == 2 * len(DATA)
    statuses = DataFile.objects.filter(pk__in=[young["id"], started["id"]])
    assert set(statuses.values_list("status", flat=True)) == {"uploading"}
    assert not Path(storages["staging"].path(never.storage_key)).exists()


def test_the_first_byte_limit_is_a_setting(
    researcher: User, draft: Submission, commits: Any, settings: Any
) -> None:
    settings.UPLOAD_FIRST_BYTE_MINUTES = 5
    upload = create(client_for(researcher), draft, "a.tif", DATA).json()
    _age(upload["id"], 6)
    with commits():
        assert expire_stale_uploads() == 1
    assert DataFile.objects.get(pk=upload["id"]).status == "aborted"


@pytest.mark.s3
def test_s3_upload_whose_bytes_s3_holds_is_not_given_up(
    researcher: User, draft: Submission, s3_staging: Any, commits: Any, settings: Any
) -> None:
    settings.UPLOAD_MIN_PART_SIZE = settings.UPLOAD_PART_SIZE = 5 * 1024 * 1024
    client = client_for(researcher)
    landed = create(client, draft, "landed.bin", DATA).json()
    target = sign(client, landed["id"], 1, b64sha256(DATA)).json()
    assert httpx.put(target["url"], content=DATA, headers=target["headers"]).status_code == 200
    signed_only = create(client, draft, "signed.bin", DATA + b"!").json()
    sign(client, signed_only["id"], 1, b64sha256(DATA + b"!"))
    _age(landed["id"], 61)
    _age(signed_only["id"], 61)
    with commits():
        assert expire_stale_uploads() == 1
    assert DataFile.objects.get(pk=landed["id"]).status == "uploading"
    assert DataFile.objects.get(pk=signed_only["id"]).status == "aborted"


@pytest.mark.usefixtures("small_parts")
def test_old_temporary_parts_are_swept_and_new_ones_kept(
    researcher: User, draft: Submission
) -> None:
    upload = create(client_for(researcher), draft, "a.tif", DATA).json()
    folder = Path(storages["staging"].path(DataFile.objects.get(pk=upload["id"]).storage_key))
    old = folder.with_name(f".tmp-{folder.name}-1-dead")
    new = folder.with_name(f".tmp-{folder.name}-2-busy")
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    two_days_ago = time.time() - 48 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    expire_stale_uploads()
    assert not old.exists()
    assert new.exists()


@pytest.mark.s3
def test_an_s3_upload_that_s3_no_longer_knows_is_given_up(
    researcher: User, draft: Submission, s3_staging: Any, commits: Any
) -> None:
    upload = create(client_for(researcher), draft, "gone.bin", DATA).json()
    datafile = DataFile.objects.get(pk=upload["id"])
    s3_staging.abort_multipart_upload(  # the bucket's lifecycle rule got there first
        Bucket=s3_staging.bucket, Key=datafile.storage_key, UploadId=datafile.multipart_id
    )
    _age(upload["id"], 61)
    with commits():
        assert expire_stale_uploads() == 1
    assert DataFile.objects.get(pk=upload["id"]).status == "aborted"
    assert _held(researcher) == 0
