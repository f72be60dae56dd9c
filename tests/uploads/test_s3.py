"""The same protocol against S3 (a local moto server): presigned part URLs, bytes never
pass through Django, S3's ListParts is the truth when resuming and completing."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaReservation
from submissions.uploads.models import DataFile
from tests.conftest import client_for
from tests.uploads.helpers import b64sha256, complete, create, sign

pytestmark = [pytest.mark.s3, pytest.mark.django_db]
MIB = 1024 * 1024


@pytest.fixture
def five_mib_parts(settings: Any) -> None:
    settings.UPLOAD_MIN_PART_SIZE = 5 * MIB
    settings.UPLOAD_PART_SIZE = 5 * MIB


def put(upload: dict[str, Any], number: int, data: bytes, client: Any) -> httpx.Response:
    size = upload["part_size"]
    chunk = data[(number - 1) * size : number * size]
    target = sign(client, upload["id"], number, b64sha256(chunk)).json()
    return httpx.put(target["url"], content=chunk, headers=target["headers"])


@pytest.mark.usefixtures("five_mib_parts")
def test_s3_upload_resumes_completes_and_verifies(
    researcher: User, draft: Submission, s3_staging: Any, commits: Any
) -> None:
    data = b"\x89HDF\r\n\x1a\n" + os.urandom(11 * MIB)
    client = client_for(researcher)
    upload = create(client, draft, "stack.h5", data, fingerprint="fp-1").json()
    datafile = DataFile.objects.get(pk=upload["id"])
    assert datafile.multipart_id
    assert datafile.storage_key == f"uploads/{draft.pk}/{datafile.pk}"
    assert upload["part_count"] == 3
    assert put(upload, 1, data, client).status_code == 200
    assert put(upload, 3, data, client).status_code == 200
    refused = client.post(f"/api/v1/uploads/{upload['id']}/complete/")
    assert refused.json()["code"] == "parts_missing"
    resumed = create(client, draft, "stack.h5", data, fingerprint="fp-1").json()
    assert resumed["id"] == upload["id"]
    listed = client.get(f"/api/v1/uploads/{upload['id']}/parts/").json()
    assert [(p["number"], p["size"]) for p in listed] == [(1, 5 * MIB), (3, len(data) - 10 * MIB)]
    assert put(upload, 2, data, client).status_code == 200
    assert complete(client, upload["id"], commits).status_code == 200
    done = client.get(f"/api/v1/uploads/{upload['id']}/").json()
    assert done["status"] in {"verified", "inspected"}  # inspection may already have run
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    assert done["detected_type"] == "application/x-hdf5"
    stored = s3_staging.get_object(Bucket=s3_staging.bucket, Key=datafile.storage_key)
    assert stored["ContentLength"] == len(data)
    assert QuotaReservation.objects.get().state == "settled"


def test_part_urls_sign_the_checksum_and_length_so_s3_refuses_other_bytes(
    researcher: User, draft: Submission, s3_staging: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "a.bin", b"x" * 1000).json()
    target = sign(client, upload["id"], 1, b64sha256(b"x" * 1000)).json()
    query = parse_qs(urlsplit(target["url"]).query)
    signed = query["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-length", "x-amz-checksum-sha256"} <= set(signed)
    assert int(query["X-Amz-Expires"][0]) <= 3600
    assert target["headers"] == {"x-amz-checksum-sha256": b64sha256(b"x" * 1000)}
    assert urlsplit(target["url"]).path.endswith(f"/uploads/{draft.pk}/{upload['id']}")


def test_abort_on_s3_frees_the_multipart_upload(
    researcher: User, draft: Submission, s3_staging: Any, commits: Any
) -> None:
    client = client_for(researcher)
    data = b"y" * 1000
    upload = create(client, draft, "a.bin", data).json()
    assert put(upload, 1, data, client).status_code == 200
    with commits():
        client.post(f"/api/v1/uploads/{upload['id']}/abort/")
    pending = s3_staging.list_multipart_uploads(Bucket=s3_staging.bucket).get("Uploads", [])
    assert pending == []
    assert QuotaReservation.objects.get().state == "released"
