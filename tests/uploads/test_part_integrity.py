"""The bytes Aperture certifies are the bytes it keeps: bytes that fail their checksum never
stay in the upload's file, an accepted part is never replaced, and nothing is written after
completion or abort, not even by a PUT that was already on its way.

Folder storage takes a part in one of two ways (uploads.services.regions): straight into its
range under a byte-range lock (Linux), or through a temporary file copied in once it matched
(where there are no such locks). Every test here runs both ways."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.storage import storages

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.uploads import services as uploads
from submissions.uploads.models import DataFile, UploadPart
from submissions.uploads.services import regions
from submissions.uploads.services.backends import read_token
from submissions.uploads.services.errors import PartAlreadyReceived, UploadNotActive
from tests.conftest import client_for
from tests.uploads.helpers import b64sha256, create, put_part, put_raw, sign

pytestmark = [pytest.mark.django_db]
KIB = 1024
DATA = os.urandom(4 * 64 * KIB - 5000)  # 4 parts of 64 KiB, the last one short
PART = 64 * KIB


@pytest.fixture(autouse=True, params=["in place", "temporary file"])
def part_writes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "temporary file":
        monkeypatch.setattr(regions, "AVAILABLE", False)
    return str(request.param)


def stored(upload_id: str) -> Path:
    return Path(storages["staging"].path(DataFile.objects.get(pk=upload_id).storage_key))


def other_bytes(number: int) -> bytes:
    chunk = DATA[(number - 1) * PART : number * PART]
    return bytes(b ^ 0x5A for b in chunk)


def temporaries(upload_id: str) -> list[Path]:
    return list(stored(upload_id).parent.glob(".tmp-*"))


@pytest.mark.usefixtures("small_parts")
def test_resending_an_accepted_part_with_other_bytes_changes_neither_file_nor_receipt(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    # A URL for other bytes of part 2, signed before part 2 arrived (it stays valid 15 min).
    late = sign(client, upload["id"], 2, b64sha256(other_bytes(2))).json()
    for number in range(1, 5):
        assert put_part(client, upload, number, DATA).status_code == 200

    refused = put_raw(client, late, other_bytes(2))
    assert refused.status_code == 409
    assert refused.json()["code"] == "part_already_received"
    assert "cannot be replaced" in refused.json()["message"]
    resigned = sign(client, upload["id"], 2, b64sha256(other_bytes(2)))
    assert resigned.status_code == 409
    assert stored(upload["id"]).read_bytes() == DATA

    with commits():
        assert client.post(f"/api/v1/uploads/{upload['id']}/complete/").status_code == 200
    done = client.get(f"/api/v1/uploads/{upload['id']}/").json()
    receipt = client.get(done["receipt_url"]).content

    after = put_raw(client, late, other_bytes(2))
    assert after.status_code == 409
    assert after.json()["code"] == "upload_not_active"
    assert stored(upload["id"]).read_bytes() == DATA
    assert client.get(done["receipt_url"]).content == receipt
    assert temporaries(upload["id"]) == []


@pytest.mark.usefixtures("small_parts")
def test_a_part_that_fails_its_checksum_never_touches_the_file(
    researcher: User, draft: Submission
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    assert put_part(client, upload, 1, DATA).status_code == 200
    before = stored(upload["id"]).read_bytes()
    second = DATA[PART : 2 * PART]
    target = sign(client, upload["id"], 2, b64sha256(second)).json()
    refused = put_raw(client, target, b"\x00" * 10 + second[10:])
    assert refused.status_code == 400
    assert refused.json()["code"] == "bad_digest"
    after = stored(upload["id"]).read_bytes()
    # Part 1 as it was; where part 2 goes, nothing (in place, the range is zeroed again).
    assert after[:PART] == before
    assert after[PART:] == bytes(len(after) - PART)
    assert temporaries(upload["id"]) == []
    assert put_part(client, upload, 2, DATA).status_code == 200  # sent again, taken
    assert stored(upload["id"]).read_bytes()[: 2 * PART] == DATA[: 2 * PART]


@pytest.mark.usefixtures("small_parts")
def test_the_same_part_sent_twice_is_answered_with_its_etag_and_written_once(
    researcher: User, draft: Submission
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    first = put_part(client, upload, 3, DATA)
    received_at = UploadPart.objects.get(number=3).received_at
    again = put_part(client, upload, 3, DATA)  # a retry whose first answer was lost
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["ETag"] == first["ETag"]
    assert UploadPart.objects.get(number=3).received_at == received_at


class TriggeringBody(io.RawIOBase):
    """A request body whose first read runs `trigger`: what a PUT still on its way sees when
    something else happens to the upload before its last byte arrives."""

    def __init__(self, data: bytes, trigger: Any) -> None:
        self.data, self.trigger, self.offset = data, trigger, 0

    def read(self, size: int = -1) -> bytes:
        if self.trigger is not None:
            trigger, self.trigger = self.trigger, None
            trigger()
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset : end], min(end, len(self.data))
        return chunk


def _part_url_checksum(target: dict[str, Any]) -> str:
    return str(read_token(target["url"].split("token=")[1])["c"])


@pytest.mark.usefixtures("small_parts")
def test_a_put_in_flight_when_the_upload_completes_does_not_change_the_file(
    researcher: User, draft: Submission, commits: Any, part_writes: str
) -> None:
    if part_writes == "in place":
        pytest.skip("in place, the part's lock keeps the right part 1 out: tested below")
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    for number in (2, 3, 4):
        assert put_part(client, upload, number, DATA).status_code == 200
    slow = sign(client, upload["id"], 1, b64sha256(other_bytes(1))).json()

    def meanwhile() -> None:
        # The right part 1 arrives over another connection and the client completes.
        assert put_part(client, upload, 1, DATA).status_code == 200
        with commits():
            assert client.post(f"/api/v1/uploads/{upload['id']}/complete/").status_code == 200

    with pytest.raises(UploadNotActive):
        uploads.receive_part(
            datafile_id=upload["id"],
            number=1,
            checksum=_part_url_checksum(slow),
            body=TriggeringBody(other_bytes(1), meanwhile),
            content_length=PART,
        )
    assert stored(upload["id"]).read_bytes() == DATA
    datafile = DataFile.objects.get(pk=upload["id"])
    assert datafile.status in {"verified", "inspected"}
    assert datafile.sha256 == hashlib.sha256(DATA).hexdigest()
    assert temporaries(upload["id"]) == []


@pytest.mark.usefixtures("small_parts")
def test_in_place_a_part_still_arriving_keeps_its_range_and_the_upload_waits_for_it(
    researcher: User,
    draft: Submission,
    commits: Any,
    part_writes: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if part_writes != "in place":
        pytest.skip("the temporary-file way is tested above")
    monkeypatch.setattr(regions, "WAIT_SECONDS", 0.2)
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    for number in (2, 3, 4):
        assert put_part(client, upload, number, DATA).status_code == 200
    slow = sign(client, upload["id"], 1, b64sha256(other_bytes(1))).json()
    seen: dict[str, Any] = {}

    def meanwhile() -> None:
        # Part 1 is not in yet, so the upload cannot complete...
        with commits():
            seen["complete"] = client.post(f"/api/v1/uploads/{upload['id']}/complete/")
        # ...and a second PUT of part 1 waits for the first, then is told to send it later.
        seen["second"] = put_part(client, upload, 1, DATA)

    etag = uploads.receive_part(
        datafile_id=upload["id"],
        number=1,
        checksum=_part_url_checksum(slow),
        body=TriggeringBody(other_bytes(1), meanwhile),
        content_length=PART,
    )
    assert seen["complete"].status_code == 409
    assert seen["complete"].json()["code"] == "parts_missing"
    assert seen["second"].status_code == 503
    assert seen["second"].json()["code"] == "part_busy"
    assert "still arriving" in seen["second"].json()["message"]
    # The first PUT's bytes were accepted (signed for them); the part is now bound to them.
    assert UploadPart.objects.get(number=1).etag == etag
    assert stored(upload["id"]).read_bytes()[:PART] == other_bytes(1)
    again = sign(client, upload["id"], 1, b64sha256(DATA[:PART]))
    assert again.status_code == 409
    assert again.json()["code"] == "part_already_received"
    assert stored(upload["id"]).read_bytes()[:PART] == other_bytes(1)


@pytest.mark.usefixtures("small_parts")
def test_a_put_in_flight_when_the_upload_is_aborted_writes_nothing(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    assert put_part(client, upload, 1, DATA).status_code == 200
    path = stored(upload["id"])
    target = sign(client, upload["id"], 2, b64sha256(DATA[PART : 2 * PART])).json()

    def abort() -> None:
        with commits():
            assert client.post(f"/api/v1/uploads/{upload['id']}/abort/").status_code == 200

    with pytest.raises(UploadNotActive):
        uploads.receive_part(
            datafile_id=upload["id"],
            number=2,
            checksum=_part_url_checksum(target),
            body=TriggeringBody(DATA[PART : 2 * PART], abort),
            content_length=PART,
        )
    assert not path.exists()  # freed by the abort, and not brought back
    assert list(path.parent.iterdir()) == []
    assert list(UploadPart.objects.values_list("number", flat=True)) == [1]


@pytest.mark.s3
def test_s3_part_is_bound_to_its_first_checksum(
    researcher: User, draft: Submission, s3_staging: Any, settings: Any
) -> None:
    settings.UPLOAD_MIN_PART_SIZE = settings.UPLOAD_PART_SIZE = 5 * 1024 * KIB
    data = os.urandom(1000)
    client = client_for(researcher)
    upload = create(client, draft, "a.bin", data).json()
    target = sign(client, upload["id"], 1, b64sha256(data)).json()
    assert httpx.put(target["url"], content=data, headers=target["headers"]).status_code == 200
    assert sign(client, upload["id"], 1, b64sha256(data)).status_code == 200  # a retry
    other = sign(client, upload["id"], 1, b64sha256(b"y" * 1000))
    assert other.status_code == 409
    assert other.json()["code"] == "part_already_received"


@pytest.mark.usefixtures("small_parts")
def test_a_body_that_is_not_stored_is_still_read_so_the_client_gets_the_answer(
    researcher: User, draft: Submission, commits: Any
) -> None:
    """Answering before the body is read makes servers like gunicorn close the connection
    under the client, which sees a reset instead of the answer and sends the part again."""
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    late = sign(client, upload["id"], 1, b64sha256(other_bytes(1))).json()
    same = sign(client, upload["id"], 1, b64sha256(DATA[:PART])).json()
    assert put_part(client, upload, 1, DATA).status_code == 200

    retried = io.BytesIO(DATA[:PART])
    etag = uploads.receive_part(
        datafile_id=upload["id"],
        number=1,
        checksum=_part_url_checksum(same),
        body=retried,
        content_length=PART,
    )
    assert etag == UploadPart.objects.get(number=1).etag
    assert retried.tell() == PART

    replacing = io.BytesIO(other_bytes(1))
    with pytest.raises(PartAlreadyReceived):
        uploads.receive_part(
            datafile_id=upload["id"],
            number=1,
            checksum=_part_url_checksum(late),
            body=replacing,
            content_length=PART,
        )
    assert replacing.tell() == PART
    assert stored(upload["id"]).read_bytes()[:PART] == DATA[:PART]
