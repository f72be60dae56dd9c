"""Signing the next several parts in one request (what the CLI does): the same rules as one
part at a time, all or none."""

from __future__ import annotations

import os
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from tests.conftest import client_for
from tests.uploads.helpers import b64sha256, complete, create, put_raw

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_parts")]
PART = 64 * 1024
DATA = os.urandom(3 * PART + 100)
CHUNKS = [DATA[i : i + PART] for i in range(0, len(DATA), PART)]


def sign_many(client: Any, upload_id: str, parts: list[tuple[int, bytes | str]]) -> Any:
    body = {
        "parts": [
            {"number": n, "checksum": c if isinstance(c, str) else b64sha256(c)} for n, c in parts
        ]
    }
    return client.post(f"/api/v1/uploads/{upload_id}/parts/sign/", body, format="json")


def test_parts_signed_together_are_taken_and_make_the_file(
    researcher: User, draft: Submission, commits: Any
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    order = [3, 1, 4, 2]
    signed = sign_many(client, upload["id"], [(n, CHUNKS[n - 1]) for n in order])
    assert signed.status_code == 200, signed.json()
    targets = signed.json()
    assert [t["number"] for t in targets] == order  # in the order asked
    for target in targets:
        assert put_raw(client, target, CHUNKS[target["number"] - 1]).status_code == 200
    assert complete(client, upload["id"], commits).status_code == 200
    assert client.get(f"/api/v1/uploads/{upload['id']}/").json()["status"] in {
        "verified",
        "inspected",
    }


def test_one_part_that_cannot_be_signed_refuses_the_request_with_its_reason(
    researcher: User, draft: Submission
) -> None:
    client = client_for(researcher)
    upload = create(client, draft, "stack.bin", DATA).json()
    (first,) = sign_many(client, upload["id"], [(1, CHUNKS[0])]).json()
    assert put_raw(client, first, CHUNKS[0]).status_code == 200
    changed = sign_many(client, upload["id"], [(2, CHUNKS[1]), (1, b"other bytes")])
    assert changed.status_code == 409
    assert changed.json()["code"] == "part_already_received"
    assert "Part 1" in changed.json()["message"]

    cases = {
        "out of range": [(9, CHUNKS[0])],
        "twice": [(2, CHUNKS[1]), (2, CHUNKS[1])],
        "bad checksum": [(2, "not base64!")],
        "too many": [(n, CHUNKS[0]) for n in range(1, 102)],
        "none": [],
    }
    for case, parts in cases.items():
        refused = sign_many(client, upload["id"], parts)
        assert refused.status_code == 400, case
        assert refused.json()["message"], case


@pytest.mark.s3
def test_on_s3_a_refused_batch_binds_none_of_its_parts(
    researcher: User, draft: Submission, s3_staging: Any, settings: Any
) -> None:
    settings.UPLOAD_MIN_PART_SIZE = settings.UPLOAD_PART_SIZE = 5 * 1024 * 1024
    data = os.urandom(5 * 1024 * 1024 + 10)
    client = client_for(researcher)
    upload = create(client, draft, "a.bin", data).json()
    assert sign_many(client, upload["id"], [(2, b"the first bytes of part 2")]).status_code == 200
    refused = sign_many(client, upload["id"], [(1, b"part 1"), (2, b"other bytes of part 2")])
    assert refused.status_code == 409
    # Part 1 was not bound to the refused request's checksum: other bytes may be signed.
    assert sign_many(client, upload["id"], [(1, b"the real part 1")]).status_code == 200
