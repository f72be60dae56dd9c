"""The whole file's SHA-256, declared by the client at creation or at completion, is what
verification holds the stored bytes to; a mismatch fails the file and frees its quota."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.storage import storages

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaAccount
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import DataFile
from tests.conftest import client_for
from tests.uploads.helpers import b64sha256, create, put_part, sign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_parts")]

DATA = os.urandom(3 * 64 * 1024 + 1234)
SHA = hashlib.sha256(DATA).hexdigest()


def _send_all(client: Any, upload: dict[str, Any]) -> None:
    for number in range(1, upload["part_count"] + 1):
        assert put_part(client, upload, number, DATA).status_code == 200


def _complete(client: Any, upload_id: str, commits: Any, **body: Any) -> Any:
    with commits():
        return client.post(f"/api/v1/uploads/{upload_id}/complete/", body, format="json")


def _staging_used(researcher: User) -> tuple[int, int]:
    account = QuotaAccount.objects.get(scope="user", user=researcher, area="staging")
    return account.used_bytes, account.held_bytes


def test_sha256_declared_at_completion_that_matches_verifies(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    _send_all(client, upload)
    response = _complete(client, upload["id"], commits, sha256=SHA)
    assert response.status_code == 200, response.json()
    done = client.get(f"/api/v1/uploads/{upload['id']}/").json()
    assert done["status"] in {"verified", "inspected"}
    assert (done["sha256"], done["declared_sha256"]) == (SHA, SHA)


def test_sha256_declared_at_completion_that_differs_fails_the_file_and_frees_quota(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    _send_all(client, upload)
    path = Path(storages["staging"].path(DataFile.objects.get(pk=upload["id"]).storage_key))
    assert path.read_bytes() == DATA
    other = hashlib.sha256(DATA + b"!").hexdigest()
    assert _complete(client, upload["id"], commits, sha256=other).status_code == 200
    done = client.get(f"/api/v1/uploads/{upload['id']}/").json()
    assert done["status"] == "failed"
    assert done["failure_code"] == "checksum_mismatch"
    assert "Upload the file again" in done["failure_message"]
    assert done["receipt_url"] is None  # nothing is certified
    assert _staging_used(researcher) == (0, 0)
    assert quota.ledger_problems() == []
    assert not path.exists()
    draft.refresh_from_db()
    assert draft.has_failed_files  # curators' "has failures" filter finds it
    # The failed file can be taken out of the draft; nothing is freed twice.
    assert client.delete(f"/api/v1/uploads/{upload['id']}/").status_code == 204
    assert _staging_used(researcher) == (0, 0)
    draft.refresh_from_db()
    assert not draft.has_failed_files


def test_completion_refuses_a_sha256_other_than_the_one_declared_at_creation(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA, sha256=SHA).json()
    _send_all(client, upload)
    refused = _complete(client, upload["id"], commits, sha256="a" * 64)
    assert refused.status_code == 400
    assert "changed on your computer" in refused.json()["message"]
    assert DataFile.objects.get(pk=upload["id"]).status == "uploading"
    assert _complete(client, upload["id"], commits, sha256=SHA).status_code == 200


@pytest.mark.parametrize("bad", ["ABC", "G" * 64, SHA.upper(), 12])
def test_malformed_sha256_at_completion_is_a_field_error(
    researcher: User, draft: Submission, commits: Any, bad: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    _send_all(client, upload)
    refused = _complete(client, upload["id"], commits, sha256=bad)
    assert refused.status_code == 400
    assert "64 lowercase hexadecimal" in refused.json()["fields"]["sha256"][0]
    assert DataFile.objects.get(pk=upload["id"]).status == "uploading"


def test_completion_without_a_body_still_works(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    _send_all(client, upload)
    with commits():
        response = client.post(f"/api/v1/uploads/{upload['id']}/complete/")
    assert response.status_code == 200
    assert client.get(f"/api/v1/uploads/{upload['id']}/").json()["sha256"] == SHA


@pytest.mark.s3
def test_s3_upload_whose_declared_sha256_differs_is_failed_and_deleted_from_the_bucket(
    researcher: User, draft: Submission, s3_staging: Any, commits: Any, settings: Any
) -> None:
    settings.UPLOAD_MIN_PART_SIZE = settings.UPLOAD_PART_SIZE = 5 * 1024 * 1024
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    target = sign(client, upload["id"], 1, b64sha256(DATA)).json()
    assert httpx.put(target["url"], content=DATA, headers=target["headers"]).status_code == 200
    other = hashlib.sha256(b"another file").hexdigest()
    assert _complete(client, upload["id"], commits, sha256=other).status_code == 200
    done = client.get(f"/api/v1/uploads/{upload['id']}/").json()
    assert (done["status"], done["failure_code"]) == ("failed", "checksum_mismatch")
    key = DataFile.objects.get(pk=upload["id"]).storage_key
    assert s3_staging.list_objects_v2(Bucket=s3_staging.bucket, Prefix=key).get("KeyCount") == 0
    assert _staging_used(researcher) == (0, 0)
    assert quota.ledger_problems() == []
