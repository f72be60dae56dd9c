"""Parts PUT to gunicorn, the production web server, whose request bodies the part view reads
straight from the connection (submissions.uploads.body): the stored bytes are the bytes
sent, a refused part's body is still read to the end, and a kept-alive connection carries
the next request intact after each kind of answer."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.storage import storages

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile
from tests.processing.live import ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)
MIB = 1024 * 1024
DATA = os.urandom(2 * 5 * MIB + 12345)  # parts of 5 MiB, S3's floor and the server's size


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sync", "gthread"])
def gunicorn(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Iterator[str]:
    """gunicorn on the test database and storage; sync workers (the production command) and
    threaded ones, which keep connections alive between requests."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.testing",
        "APERTURE_TEST_STORAGE": str(Path(settings.CONVERSION_SCRATCH_DIR).parent),
        "DATABASE_URL": database_url(),
        "UPLOAD_PART_SIZE": str(5 * MIB),
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", str(request.param), "--threads", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((tmp_path / "gunicorn.log").read_text()) from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=15)
    log.close()


def crc(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


def test_parts_through_gunicorn_store_exactly_the_bytes_sent(
    gunicorn: str, researcher: User, draft: Submission
) -> None:
    token = issue_token(user=researcher)[1]
    with httpx.Client(base_url=gunicorn, timeout=30) as client:  # one kept-alive connection
        client.headers["Authorization"] = f"Token {token}"
        created = client.post(
            "/api/v1/uploads/",
            json={
                "submission": str(draft.pk),
                "name": "stack.bin",
                "size": len(DATA),
                "checksum_algorithm": "crc32c",
            },
        )
        assert created.status_code == 201, created.text
        upload = created.json()
        size = upload["part_size"]
        parts = [DATA[i : i + size] for i in range(0, len(DATA), size)]
        assert len(parts) == 3

        def put(number: int, body: bytes, checksum: str) -> httpx.Response:
            signed = client.post(
                f"/api/v1/uploads/{upload['id']}/parts/{number}/", json={"checksum": checksum}
            )
            assert signed.status_code == 200, signed.text
            target = signed.json()
            return client.put(target["url"], content=body, headers=target["headers"])

        # Damaged on the way: refused, and the connection carries on.
        damaged = b"\0" * 100 + parts[0][100:]
        refused = put(1, damaged, crc(parts[0]))
        assert refused.status_code == 400
        assert refused.json()["code"] == "bad_digest"
        for number, part in enumerate(parts, start=1):
            assert put(number, part, crc(part)).status_code == 200
        # The same part again (a retry whose answer was lost): its ETag, body read through.
        again = put(2, parts[1], crc(parts[1]))
        assert again.status_code == 200
        listed = client.get(f"/api/v1/uploads/{upload['id']}/parts/")
        assert [p["number"] for p in listed.json()] == [1, 2, 3]
        done = client.post(
            f"/api/v1/uploads/{upload['id']}/complete/",
            json={"sha256": hashlib.sha256(DATA).hexdigest()},
        )
        assert done.status_code == 200, done.text
    stored = DataFile.objects.get(pk=upload["id"])
    assert Path(storages["staging"].path(stored.storage_key)).read_bytes() == DATA


def test_the_body_is_read_from_the_socket_and_a_pipelined_request_is_left_for_gunicorn() -> None:
    """gunicorn's own reader classes over a socket pair: what gunicorn read ahead with the
    headers comes first, the rest from the socket, and the next request's bytes stay with
    gunicorn, which knows the body was read to its end."""
    from django.test import RequestFactory
    from gunicorn.http.body import Body, LengthReader
    from gunicorn.http.unreader import SocketUnreader

    from submissions.uploads.body import SocketBody, part_body

    body = os.urandom(3 * MIB + 7)
    server, client = socket.socketpair()
    with server, client:
        unreader = SocketUnreader(server)
        unreader.unread(body[:5000])  # read ahead with the headers
        reader = LengthReader(unreader, len(body))
        request = RequestFactory().put("/part")
        request.META.update({"wsgi.input": Body(reader), "gunicorn.socket": server})
        sender = threading.Thread(
            target=client.sendall, args=(body[5000:] + b"GET /next HTTP/1.1\r\n\r\n",)
        )
        sender.start()
        direct = part_body(request)
        assert isinstance(direct, SocketBody)
        got = bytearray()
        while chunk := direct.read(MIB):
            got += chunk
        sender.join()
        assert bytes(got) == body
        assert reader.length == 0
        assert unreader.read() == b"GET /next HTTP/1.1\r\n\r\n"


def test_a_body_already_read_ahead_past_its_end_gives_the_rest_back() -> None:
    from django.test import RequestFactory
    from gunicorn.http.body import Body, LengthReader
    from gunicorn.http.unreader import SocketUnreader

    from submissions.uploads.body import part_body

    server, client = socket.socketpair()
    with server, client:
        unreader = SocketUnreader(server)
        unreader.unread(b"0123456789" + b"GET /next HTTP/1.1\r\n\r\n")
        request = RequestFactory().put("/part")
        request.META.update(
            {"wsgi.input": Body(LengthReader(unreader, 10)), "gunicorn.socket": server}
        )
        direct = part_body(request)
        assert direct.read(100) == b"0123456789"
        assert direct.read(100) == b""
        assert unreader.read() == b"GET /next HTTP/1.1\r\n\r\n"


def test_under_another_server_the_view_reads_django_s_stream() -> None:
    from django.test import RequestFactory

    from submissions.uploads.body import part_body

    request = RequestFactory().put("/part", data=b"abc", content_type="application/octet-stream")
    assert part_body(request) is request
