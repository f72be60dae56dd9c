"""The upload protocol with folder storage: every way a client can go wrong, and recover."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from django.core.files.storage import storages
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaReservation
from submissions.uploads import services as uploads
from submissions.uploads.models import DataFile, UploadPart
from tests.conftest import client_for
from tests.uploads.helpers import (
    b64sha256,
    complete,
    create,
    put_part,
    put_raw,
    sign,
    upload_whole,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_parts")]


def _real_tiff() -> bytes:
    """A real ~200 KiB TIFF of noise: 4 parts of 64 KiB, the last one short."""
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.random.default_rng(7).integers(0, 65535, (320, 320), "uint16"))
    return buffer.getvalue()


TIFF = _real_tiff()


def stored(upload_id: str) -> Path:
    return Path(storages["staging"].path(DataFile.objects.get(pk=upload_id).storage_key))


def test_whole_upload_ends_verified_with_sha256_type_and_receipt(
    researcher: User, draft: Submission, commits: Any
) -> None:
    import hashlib

    client = client_for(researcher)
    done = upload_whole(client, draft, "cell.tif", TIFF, commits)
    assert done["status"] in {"verified", "inspected"}  # inspection may already have run
    assert done["sha256"] == hashlib.sha256(TIFF).hexdigest()
    assert done["detected_type"] == "image/tiff"
    receipt = client.get(done["receipt_url"])
    assert receipt.status_code == 200
    assert "attachment" in receipt["Content-Disposition"]
    body = receipt.json()
    assert body["name"] == "cell.tif"
    assert body["size"] == len(TIFF)
    assert body["sha256"] == done["sha256"]
    assert body["verified_at"]
    assert stored(done["id"]).read_bytes() == TIFF


def test_server_picks_part_size_within_s3_limits(settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MIN_PART_SIZE = 5 * 1024**2
    settings.UPLOAD_PART_SIZE = 32 * 1024**2
    assert uploads.choose_part_size(1) == 32 * 1024**2
    tib5 = 5 * 1024**4
    part = uploads.choose_part_size(tib5)
    assert 5 * 1024**2 <= part <= 5 * 1024**3
    assert -(-tib5 // part) <= 10_000


def test_resume_after_interruption_sends_only_missing_parts(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF, fingerprint="/data/cell.tif:204804:1").json()
    assert upload["part_count"] == 4
    put_part(client, upload, 1, TIFF)
    put_part(client, upload, 3, TIFF)
    # The client restarts: the same file finds the same upload, and lists what arrived.
    again = create(client, draft, "cell.tif", TIFF, fingerprint="/data/cell.tif:204804:1")
    assert again.status_code == 200
    assert again.json()["resumed"] is True
    assert again.json()["id"] == upload["id"]
    parts = client.get(f"/api/v1/uploads/{upload['id']}/parts/").json()
    assert [p["number"] for p in parts] == [1, 3]
    for number in (2, 4):
        assert put_part(client, upload, number, TIFF).status_code == 200
    complete(client, upload["id"], commits)
    status = client.get(f"/api/v1/uploads/{upload['id']}/").json()["status"]
    assert status in {"verified", "inspected"}
    assert stored(upload["id"]).read_bytes() == TIFF


def test_part_with_wrong_checksum_is_refused_then_resent(
    researcher: User, draft: Submission
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    first = TIFF[: upload["part_size"]]
    target = sign(client, upload["id"], 1, b64sha256(first)).json()
    corrupted = b"\xff" + first[1:]
    refused = put_raw(client, target, corrupted)
    assert refused.status_code == 400
    assert refused.json()["code"] == "bad_digest"
    assert not UploadPart.objects.filter(datafile_id=upload["id"]).exists()
    assert put_raw(client, target, first).status_code == 200
    assert list(UploadPart.objects.values_list("number", flat=True)) == [1]


def test_checksum_must_be_base64_of_the_right_length(researcher: User, draft: Submission) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    response = sign(client, upload["id"], 1, "not-base64!")
    assert response.status_code == 400
    assert "checksum" in response.json()["fields"]
    assert sign(client, upload["id"], 99, b64sha256(b"x")).status_code == 400


def test_forged_or_swapped_part_url_is_refused(researcher: User, draft: Submission) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    first = TIFF[: upload["part_size"]]
    target = sign(client, upload["id"], 1, b64sha256(first)).json()
    swapped = {**target, "url": target["url"].replace("/parts/1/", "/parts/2/")}
    assert put_raw(client, swapped, first).status_code == 403
    forged = {**target, "url": target["url"].split("?")[0] + "?token=abc"}
    assert put_raw(client, forged, first).status_code == 403


def test_complete_with_a_missing_part_is_refused(researcher: User, draft: Submission) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    for number in (1, 2, 4):
        put_part(client, upload, number, TIFF)
    response = client.post(f"/api/v1/uploads/{upload['id']}/complete/")
    assert response.status_code == 409
    assert response.json()["code"] == "parts_missing"
    assert "part 3" in response.json()["message"]
    assert DataFile.objects.get(pk=upload["id"]).status == "uploading"


def test_part_of_the_wrong_size_is_refused(researcher: User, draft: Submission) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    short = TIFF[:1000]
    target = sign(client, upload["id"], 1, b64sha256(short)).json()
    response = put_raw(client, target, short)
    assert response.status_code == 409
    assert response.json()["code"] == "size_mismatch"


def test_size_mismatch_on_disk_is_refused_at_complete(researcher: User, draft: Submission) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    for number in range(1, 5):
        put_part(client, upload, number, TIFF)
    # A part recorded with the wrong size (a client that lied): complete refuses.
    UploadPart.objects.filter(datafile_id=upload["id"], number=4).update(size=10)
    response = client.post(f"/api/v1/uploads/{upload['id']}/complete/")
    assert response.status_code == 409
    assert response.json()["code"] == "size_mismatch"


def test_declared_sha256_that_does_not_match_marks_the_file_failed(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF, sha256="0" * 64).json()
    for number in range(1, 5):
        put_part(client, upload, number, TIFF)
    complete(client, upload["id"], commits)
    done = client.get(f"/api/v1/uploads/{upload['id']}/").json()
    assert done["status"] == "failed"
    assert done["failure_code"] == "checksum_mismatch"


def test_oversized_file_is_refused_with_the_limit(
    researcher: User, draft: Submission, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_FILE_SIZE = 1000
    response = create(client_for(researcher), draft, "big.tif", b"x" * 2048)
    assert response.status_code == 400
    # Decimal units, as everywhere (submissions.core.units).
    assert "at most 1.0 kB; this one is 2.0 kB" in response.json()["fields"]["size"][0]
    assert not DataFile.objects.exists()


def test_abort_frees_bytes_and_reservation(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    put_part(client, upload, 1, TIFF)
    path = stored(upload["id"])
    assert path.exists()
    with commits():
        response = client.post(f"/api/v1/uploads/{upload['id']}/abort/")
    assert response.status_code == 200
    assert response.json()["status"] == "aborted"
    assert not path.exists()
    assert QuotaReservation.objects.get().state == "released"
    assert client.post(f"/api/v1/uploads/{upload['id']}/abort/").status_code == 200  # twice
    refused = sign(client, upload["id"], 2, b64sha256(b"x"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "upload_not_active"


def test_quota_is_reserved_on_create_and_settled_on_complete(
    researcher: User, draft: Submission
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "cell.tif", TIFF).json()
    reservation = QuotaReservation.objects.get()
    assert (reservation.state, reservation.nbytes) == ("held", len(TIFF))
    for number in range(1, 5):
        put_part(client, upload, number, TIFF)
    client.post(f"/api/v1/uploads/{upload['id']}/complete/")
    client.post(f"/api/v1/uploads/{upload['id']}/complete/")  # a double click changes nothing
    reservation.refresh_from_db()
    assert (reservation.state, reservation.settled_bytes) == ("settled", len(TIFF))


def test_expiry_sweep_aborts_only_inactive_uploads(
    researcher: User, draft: Submission, commits: Any
) -> None:
    from submissions.uploads.tasks import expire_stale_uploads

    client = client_for(researcher)
    stale = create(client, draft, "old.tif", TIFF).json()
    put_part(client, stale, 1, TIFF)
    fresh = create(client, draft, "new.tif", TIFF).json()
    DataFile.objects.filter(pk=stale["id"]).update(
        last_activity_at=timezone.now() - timedelta(hours=25)
    )
    path = stored(stale["id"])
    with commits():
        assert expire_stale_uploads() == 1
    old = DataFile.objects.get(pk=stale["id"])
    assert (old.status, old.failure_code) == ("aborted", "expired")
    assert not path.exists()
    assert DataFile.objects.get(pk=fresh["id"]).status == "uploading"
    assert old.reservation is not None
    assert old.reservation.state == "released"
    new = DataFile.objects.get(pk=fresh["id"])
    assert new.reservation is not None
    assert new.reservation.state == "held"


def test_someone_elses_upload_is_404_everywhere(
    researcher: User, outsider: User, draft: Submission
) -> None:
    upload = create(client_for(researcher), draft, "cell.tif", TIFF).json()
    other = client_for(outsider)
    base = f"/api/v1/uploads/{upload['id']}"
    assert other.get(f"{base}/").status_code == 404
    assert other.get(f"{base}/parts/").status_code == 404
    assert sign(other, upload["id"], 1, b64sha256(b"x")).status_code == 404
    batch = {"parts": [{"number": 1, "checksum": b64sha256(b"x")}]}
    assert other.post(f"{base}/parts/sign/", batch, format="json").status_code == 404
    assert other.post(f"{base}/complete/").status_code == 404
    assert other.post(f"{base}/abort/").status_code == 404
    assert other.get(f"{base}/receipt/").status_code == 404
    assert other.get("/api/v1/uploads/").json() == []
    assert create(other, draft, "mine.tif", TIFF).status_code == 404
    assert other.get("/api/v1/uploads/not-a-uuid/").status_code == 404


def test_curator_cannot_upload_into_a_researchers_submission(
    curator: User, draft: Submission
) -> None:
    assert create(client_for(curator), draft, "x.tif", TIFF).status_code == 404


def test_files_only_while_the_submission_is_editable(researcher: User, draft: Submission) -> None:
    Submission.objects.filter(pk=draft.pk).update(status="submitted")
    response = create(client_for(researcher), draft, "late.tif", TIFF)
    assert response.status_code == 409
