"""A researcher uploads good and bad files on the files page and is told the truth about each:
Verified (the server confirmed the SHA-256), Failed with the server's reason, or Removed.

The uploader hashes each file in a Web Worker while reading its parts and declares the
SHA-256 at completion. "Bad" files here are made the honest ways: a file whose bytes are not
what its name claims (inspection refuses it), and bytes altered on the way by a tampering
proxy (a Playwright route): once with the part's checksum left as it was (the part is
refused), once with the checksum re-signed to match (every part passes; only the whole-file
SHA-256 catches it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

from submissions.accounts.models import User
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus
from tests.browser import ARTIFACTS, login
from tests.uploads.uploader import UploaderPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024
PASSWORD = "correct horse battery"


def look(page: Any, name: str) -> None:
    """A 1366x768 screenshot with the uploader in view, kept in test-results/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("() => document.getElementById('upload-drop').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.mark.usefixtures("five_mib_parts")
def test_good_and_bad_files_each_show_their_true_end_state(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    good = tmp_path / "cell-a.raw"
    good.write_bytes(os.urandom(12 * MIB))  # 3 parts
    broken = tmp_path / "broken_stack.ome.tif"
    broken.write_bytes(b"II*\x00" + bytes(range(256)) * 40)  # a TIFF header over nothing
    damaged = tmp_path / "damaged.raw"
    damaged.write_bytes(os.urandom(6 * MIB))  # 2 parts; part 2 is altered on the way
    total = sum(p.stat().st_size for p in (good, broken, damaged))

    def alter_part_two(route: Any) -> None:
        """Only damaged.raw has a 1 MiB part 2 (cell-a.raw's is 5 MiB): flip its first byte."""
        body = route.request.post_data_buffer or b""
        if "/parts/2/data" in route.request.url and len(body) == 1 * MIB:
            altered = bytearray(body)
            altered[0] ^= 0xFF
            route.continue_(post_data=bytes(altered))
        else:
            route.continue_()

    login(page, live_server.url, researcher.email, PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    page.route("**/parts/*/data?*", alter_part_two)
    uploader.add(good, broken, damaged)

    # Sizes and the total are known before any byte moves.
    assert uploader.row("cell-a.raw").size == format_bytes(12 * MIB) == "12.6 MB"
    assert uploader.row("damaged.raw").state == "Ready"
    assert uploader.progress_text() == f"0 B of {format_bytes(total)} · 3 files ready"
    look(page, "uploader-ready")
    uploader.start("Upload 3 files")

    uploader.wait_settled(3)
    table = page.locator("#file-table")
    table.locator("tr", has_text="broken_stack.ome.tif").get_by_text("Failed").wait_for()
    look(page, "uploader-good-and-bad")
    assert uploader.row("cell-a.raw").state == "Verified"
    assert uploader.row("cell-a.raw").detail == "SHA-256 confirmed by the server."
    broken_row = uploader.row("broken_stack.ome.tif")
    assert broken_row.state == "Failed"
    stored = {f.name: f for f in DataFile.objects.all()}
    assert stored["broken_stack.ome.tif"].status == FileStatus.FAILED
    assert broken_row.detail == stored["broken_stack.ome.tif"].failure_message
    damaged_row = uploader.row("damaged.raw")
    assert damaged_row.state == "Failed"
    assert damaged_row.detail.startswith(
        "Part 2 did not match its checksum when it arrived, 3 times in a row"
    )
    assert "Upload complete" not in page.locator("#uploader").inner_text()
    assert uploader.summary() == "1 verified, 2 failed. Retry or remove the failed files."
    log = uploader.log()
    assert "cell-a.raw: verified. The server confirmed its SHA-256." in log
    assert f"broken_stack.ome.tif: failed. {broken_row.detail}" in log
    assert log[-1] == "1 verified, 2 failed. Retry or remove the failed files."
    # Only what arrived and stayed counts: the verified file, not the failed ones.
    assert uploader.progress_text() == f"{format_bytes(12 * MIB)} of {format_bytes(total)}"
    # The table below says the same as the uploader.
    table.get_by_text("Inspected").wait_for()
    assert table.locator("tr", has_text="broken_stack.ome.tif").get_by_text("Failed").count() == 1

    # The keyboard alone (the proxy is gone): remove the broken file; the focus moves on to
    # the next file's first button, Retry, and Enter sends the damaged file again.
    page.unroute_all(behavior="ignoreErrors")
    listed = page.get_by_role("list", name="Files in this upload")
    listed.get_by_role("button", name="Remove broken_stack.ome.tif").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.textContent") == (
        "Retry broken_stack.ome.tif"
    )
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    uploader.wait_state("broken_stack.ome.tif", "Removed")
    assert page.evaluate("() => document.activeElement.textContent") == "Retry damaged.raw"
    page.keyboard.press("Enter")
    uploader.wait_state("damaged.raw", "Verified")
    uploader.wait_settled(3)
    table.get_by_role("cell", name="broken_stack.ome.tif", exact=True).wait_for(state="detached")
    table.locator("tr", has_text="damaged.raw").get_by_text("Inspected").wait_for()
    assert uploader.summary() == "Upload complete: 2 verified, 1 removed."
    assert uploader.log()[-1] == "Upload complete: 2 verified, 1 removed."
    look(page, "uploader-retried-and-removed")
    names = sorted(DataFile.objects.values_list("name", "status"))
    assert names == [("cell-a.raw", "inspected"), ("damaged.raw", "inspected")]
    assert DataFile.objects.get(name="damaged.raw").sha256 == (
        hashlib.sha256(damaged.read_bytes()).hexdigest()
    )


@pytest.mark.usefixtures("five_mib_parts")
def test_bytes_changed_on_the_way_fail_on_the_whole_file_sha256_and_retry_verifies(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    """A proxy alters part 2 and re-signs its checksum: every part passes its own check, and
    only the SHA-256 the browser computed while reading the file tells the server."""
    stack = tmp_path / "stack.raw"
    data = os.urandom(13 * MIB)  # 3 parts of 5 MiB
    stack.write_bytes(data)
    part_two = bytearray(data[5 * MIB : 10 * MIB])
    part_two[1000] ^= 0x01
    altered = bytes(part_two)

    def resign(route: Any) -> None:  # POST .../parts/2/ {"checksum": ...}
        route.continue_(post_data=json.dumps({"checksum": b64sha256(altered)}))

    def alter(route: Any) -> None:  # PUT .../parts/2/data?token=...
        route.continue_(post_data=altered)

    page.route(re.compile(r"/api/v1/uploads/[^/]+/parts/2/$"), resign)
    page.route(re.compile(r"/parts/2/data\?"), alter)
    declared: list[str] = []
    page.on(
        "request",
        lambda r: (
            declared.append(json.loads(r.post_data or "{}").get("sha256", ""))
            if r.url.endswith("/complete/")
            else None
        ),
    )
    login(page, live_server.url, researcher.email, PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.add(stack)
    assert uploader.progress_text() == "0 B of 13.6 MB · 1 file ready"
    uploader.start("Upload 1 file")
    uploader.wait_settled(1)
    page.locator("#file-table").get_by_role("cell", name="stack.raw", exact=True).wait_for()
    look(page, "uploader-sha256-mismatch")

    # The browser declared the true SHA-256 of the researcher's file, read once.
    assert declared == [hashlib.sha256(data).hexdigest()]
    stored = DataFile.objects.get()
    assert stored.status == FileStatus.FAILED
    assert stored.failure_code == "checksum_mismatch"
    row = uploader.row("stack.raw")
    assert row.state == "Failed"
    assert row.detail == stored.failure_message
    assert row.detail.endswith("Upload the file again.")
    assert uploader.summary() == "0 verified, 1 failed. Retry or remove the failed file."
    assert "Upload complete" not in page.locator("#uploader").inner_text()
    assert uploader.log()[-2] == f"stack.raw: failed. {stored.failure_message}"

    page.unroute_all(behavior="ignoreErrors")
    page.get_by_role("list", name="Files in this upload").get_by_role(
        "button", name="Retry stack.raw"
    ).click()
    uploader.wait_state("stack.raw", "Verified")
    uploader.wait_settled(1)
    assert uploader.summary() == "Upload complete: 1 verified."
    assert declared == [hashlib.sha256(data).hexdigest()] * 2
    # The failed attempt was removed before the new one: one file, the right bytes.
    (kept,) = DataFile.objects.all()
    assert kept.sha256 == hashlib.sha256(data).hexdigest()
    assert kept.status in (FileStatus.VERIFIED, FileStatus.INSPECTED)


def test_hashing_runs_under_the_policy_the_portal_serves_on_its_worker(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    """In production the CSP middleware also heads the worker's script (CSPMiddleware comes
    before WhiteNoise); the test server serves static files without it. So the worker is
    served here with the portal's own header: hash-wasm must compile under it (script-src
    'self' 'wasm-unsafe-eval', worker-src 'self')."""
    note = tmp_path / "notes.txt"
    note.write_bytes(b"field notes\n" * 1000)
    empty = tmp_path / "empty.txt"  # one empty part; it has a SHA-256 too
    empty.write_bytes(b"")
    served: list[str] = []

    def with_policy(route: Any) -> None:
        response = route.fetch()
        served.append(policy)
        headers = {**response.headers, "content-security-policy": policy}
        route.fulfill(response=response, headers=headers)

    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    policy = page.request.get(uploader.url).headers["content-security-policy"]
    assert "worker-src 'self'" in policy
    assert "'wasm-unsafe-eval'" in policy
    assert "'unsafe-eval'" not in policy.replace("'wasm-unsafe-eval'", "")
    page.route(re.compile(r"/static/vendor/uploader/hash-worker[^/]*\.js$"), with_policy)
    uploader.open()
    uploader.add(note, empty)
    assert uploader.row("empty.txt").size == "0 B"
    uploader.start("Upload 2 files")
    uploader.wait_settled(2)
    assert served == [policy]
    # The empty file's bytes arrive intact (its SHA-256 checks out) but inspection refuses
    # it, and the uploader says so rather than calling it done.
    assert uploader.summary() == "1 verified, 1 failed. Retry or remove the failed file."
    assert (
        uploader.row("empty.txt").detail == DataFile.objects.get(name="empty.txt").failure_message
    )
    assert uploader.row("empty.txt").detail.startswith("The file empty.txt is empty (0 bytes).")
    for path in (note, empty):
        stored = DataFile.objects.get(name=path.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert stored.declared_sha256 == stored.sha256 == digest


@pytest.mark.usefixtures("five_mib_parts")
def test_two_files_upload_through_a_network_interruption(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    first = tmp_path / "cell-a.tif"  # a real TIFF of 12.8 MB: inspection accepts it
    pixels = np.random.default_rng(3).integers(0, 4000, size=(2, 1600, 2000), dtype=np.uint16)
    tifffile.imwrite(first, pixels, photometric="minisblack")
    second = tmp_path / "cell-b.bin"
    second.write_bytes(os.urandom(11 * MIB))

    def slow_parts(route: Any) -> None:
        time.sleep(0.25)  # keep the upload in flight long enough to cut the network
        route.continue_()

    page.route("**/parts/*/data?*", slow_parts)
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    page.get_by_text("No files yet").wait_for()
    uploader.add(first, second)
    uploader.start("Upload 2 files")

    with page.expect_response(lambda r: "/data?" in r.url and r.status == 200):
        pass
    page.context.set_offline(True)
    time.sleep(2)
    page.context.set_offline(False)

    uploader.wait_settled(2)
    assert uploader.summary() == "Upload complete: 2 verified.", uploader.log()
    files = {f.name: f for f in DataFile.objects.all()}
    assert set(files) == {"cell-a.tif", "cell-b.bin"}
    assert all(f.verified_at and len(f.sha256) == 64 for f in files.values())
    assert files["cell-a.tif"].detected_type == "image/tiff"
    assert files["cell-b.bin"].sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    table = page.locator("#file-table")
    table.get_by_text(re.compile("^(Verified|Inspected)$")).nth(1).wait_for()
    assert table.get_by_role("link", name="Receipt for cell-a.tif").count() == 1
    page.screenshot(path=str(ARTIFACTS / "uploads-files-page.png"), full_page=True)


def test_someone_elses_files_page_is_404(
    live_server: Any, page: Any, outsider: User, draft: Submission
) -> None:
    login(page, live_server.url, outsider.email, PASSWORD)
    page.get_by_role("link", name="My submissions").wait_for()
    response = page.goto(f"{live_server.url}/submissions/{draft.pk}/files/")
    assert response.status == 404
