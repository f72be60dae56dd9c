"""The CLI signs the next few parts in one request, and signs a part alone when that cannot
be done (a server from before the endpoint, a refusal); no server here: an httpx mock
transport answers as the server would."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import httpx

from submissions.cli.signing import BatchSigner
from submissions.cli.transfer import Part, part_checksum

PART = 1000


def parts_of(path: Path) -> list[Part]:
    size = path.stat().st_size
    return [Part(n + 1, n * PART, min(PART, size - n * PART)) for n in range((size + 999) // PART)]


def signer_for(path: Path, handler, size: int = 4) -> tuple[BatchSigner, list[dict]]:  # type: ignore[no-untyped-def]
    asked: list[dict] = []

    def record(request: httpx.Request) -> httpx.Response:
        asked.append(json.loads(request.content))
        return handler(request)

    api = httpx.Client(base_url="http://aperture.test", transport=httpx.MockTransport(record))
    fd = os.open(path, os.O_RDONLY)
    signer = BatchSigner(api, "u1", "crc32c", fd, parts_of(path), threading.Event(), size=size)
    return signer, asked


def signed(request: httpx.Request) -> httpx.Response:
    wanted = json.loads(request.content)["parts"]
    return httpx.Response(200, json=[target(p["number"], p["checksum"]) for p in wanted])


def target(number: int, checksum: str) -> dict[str, object]:
    return {
        "number": number,
        "url": f"http://aperture.test/p{number}",
        "method": "PUT",
        "headers": {"x-amz-checksum-crc32c": checksum},
        "expires_at": "2030-01-01T00:00:00Z",
    }


def test_the_next_parts_are_signed_with_the_first_and_found_ready(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(6 * PART))
    signer, asked = signer_for(path, signed, size=4)
    parts = parts_of(path)
    checksum, target = signer.take(parts[0])  # type: ignore[misc]
    assert [p["number"] for p in asked[0]["parts"]] == [1, 2, 3, 4]
    fd = os.open(path, os.O_RDONLY)
    assert checksum == part_checksum(fd, parts[0], "crc32c", threading.Event())
    assert target["url"].endswith("/p1")
    for part in parts[1:4]:  # ready: no request
        checksum, target = signer.take(part)  # type: ignore[misc]
        assert checksum == part_checksum(fd, part, "crc32c", threading.Event())
        assert target["url"].endswith(f"/p{part.number}")
    assert len(asked) == 1
    signer.take(parts[4])
    assert [p["number"] for p in asked[1]["parts"]] == [5, 6]


def test_an_older_server_without_the_endpoint_gets_parts_signed_alone(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(3 * PART))
    signer, asked = signer_for(path, lambda request: httpx.Response(404, text="Not Found"))
    assert signer.take(parts_of(path)[0]) is None
    assert signer.take(parts_of(path)[1]) is None
    assert len(asked) == 1  # asked once, then not again


def test_a_refused_batch_leaves_each_part_to_be_signed_alone(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(3 * PART))
    refusal = {"code": "part_already_received", "message": "Part 2 has already arrived"}
    signer, _ = signer_for(path, lambda request: httpx.Response(409, json=refusal))
    assert signer.take(parts_of(path)[0]) is None
    assert signer.enabled  # a refusal is about a part, not the endpoint


def test_a_part_being_signed_by_another_sender_is_waited_for_not_signed_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(4 * PART))
    entered, release = threading.Event(), threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(10)
        return signed(request)

    signer, asked = signer_for(path, slow, size=4)
    parts = parts_of(path)
    results: dict[int, object] = {}
    first = threading.Thread(target=lambda: results.update({1: signer.take(parts[0])}))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=lambda: results.update({2: signer.take(parts[1])}))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert len(asked) == 1  # part 2 came with part 1's request
    assert results[2][1]["url"].endswith("/p2")  # type: ignore[index]
