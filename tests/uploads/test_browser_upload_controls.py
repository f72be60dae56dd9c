"""The uploader's controls tell the truth too: pausing holds new parts back, removing a file in
flight aborts its upload on the server, and a quota refusal sends nothing and says why."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus, UploadPart
from tests import factories
from tests.browser import ARTIFACTS, login
from tests.uploads.uploader import UploaderPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024
PASSWORD = "correct horse battery"
PART_DATA = re.compile(r"/parts/\d+/data\?")


def slowly(route: Any) -> None:
    time.sleep(0.4)  # keeps parts on their way long enough to act in between
    route.continue_()


@pytest.mark.usefixtures("five_mib_parts")
def test_pause_holds_new_parts_back_and_resume_finishes(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    stack = tmp_path / "stack.raw"
    stack.write_bytes(os.urandom(30 * MIB))  # 6 parts, 3 in flight at most
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if PART_DATA.search(r.url) else None)
    page.route(PART_DATA, slowly)
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    # By keyboard: "Choose files…" opens the browser's file chooser, Enter starts the upload.
    with page.expect_file_chooser(timeout=30_000) as chooser:
        page.get_by_role("button", name="Choose files…").press("Enter")  # focus, then Enter
    assert chooser.value.is_multiple()
    chooser.value.set_files(str(stack))
    # Tab order: Choose a folder…, the new row's Remove, then Upload (the inputs are not in it).
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Upload 1 file"
    page.keyboard.press("Enter")
    with page.expect_request(lambda r: bool(PART_DATA.search(r.url))):
        pass
    pause = page.get_by_role("button", name="Pause")
    pause.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Resume").wait_for()
    page.get_by_text(re.compile(r" · paused$")).wait_for()
    time.sleep(1.5)  # the parts already on their way arrive
    held = len(puts)
    assert held < 6
    time.sleep(1.5)
    assert len(puts) == held  # nothing new started while paused
    arrived = UploadPart.objects.count()
    assert uploader.progress_text() == (
        f"{format_bytes(arrived * 5 * MIB)} of {format_bytes(30 * MIB)} · paused"
    )
    assert "Paused: parts already on their way finish, no new part starts." in uploader.log()
    page.get_by_role("button", name="Resume").click()
    uploader.wait_settled(1)
    assert uploader.summary() == "Upload complete: 1 verified."
    assert len(puts) == 6  # each part sent once
    assert DataFile.objects.get().status in (FileStatus.VERIFIED, FileStatus.INSPECTED)


@pytest.mark.usefixtures("five_mib_parts")
def test_removing_a_file_in_flight_aborts_its_upload(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    stack = tmp_path / "stack.raw"
    stack.write_bytes(os.urandom(30 * MIB))
    page.route(PART_DATA, slowly)
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.add(stack)
    uploader.start("Upload 1 file")
    uploader.wait_state("stack.raw", "Uploading")
    with page.expect_request(lambda r: bool(PART_DATA.search(r.url))):
        pass
    page.get_by_role("list", name="Files in this upload").get_by_role(
        "button", name="Remove stack.raw"
    ).click()
    uploader.wait_state("stack.raw", "Removed")
    uploader.wait_settled(1)
    assert uploader.summary() == "0 verified, 1 removed."
    assert uploader.log()[-2:] == ["stack.raw: removed.", "0 verified, 1 removed."]
    assert uploader.progress_text() == ""  # nothing left to count
    removed = DataFile.objects.get()
    assert removed.status == FileStatus.ABORTED
    uploader.assert_true_to(draft)


def test_a_quota_refusal_sends_nothing_and_says_why(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    factories.quota(facility=draft.facility, user=researcher, hard=1_000_000)
    big = tmp_path / "big.raw"
    big.write_bytes(os.urandom(2_000_000))
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.add(big)
    uploader.start("Upload 1 file")
    page.locator("#upload-summary").wait_for()
    summary = uploader.summary()
    assert summary.startswith("Nothing was sent. 1 file: This upload needs 2.0 MB")
    assert uploader.row("big.raw").state == "Ready"  # still there, to send once there is room
    assert summary in uploader.log()
    assert DataFile.objects.count() == 0
    page.set_viewport_size({"width": 1366, "height": 768})
    page.evaluate("() => document.getElementById('upload-drop').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "uploader-quota-refused.png"))


def test_no_summary_before_inspection_has_its_say(
    live_server: Any,
    page: Any,
    researcher: User,
    draft: Submission,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file can pass its SHA-256 and still be refused by inspection. With the inspection
    queue held back (its message recorded, not run: a busy worker, as in production), the
    row says Verified and that the contents are being checked, and no summary is given;
    once inspection refuses the file, the row and the summary say Failed."""
    queued: list[str] = []
    monkeypatch.setattr(
        "submissions.core.dispatch.inspect_file", lambda *, file_id: queued.append(str(file_id))
    )
    broken = tmp_path / "broken_stack.ome.tif"
    broken.write_bytes(b"II*\x00" + bytes(range(256)) * 40)  # a TIFF header over nothing
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.add(broken)
    uploader.start("Upload 1 file")
    uploader.wait_state("broken_stack.ome.tif", "Verified")
    assert uploader.row("broken_stack.ome.tif").detail == (
        "SHA-256 confirmed by the server. Checking the contents…"
    )
    time.sleep(2)
    assert page.locator("#upload-summary").is_hidden()
    assert page.locator("#uploader").get_attribute("data-busy") == "true"
    assert len(queued) == 1

    from submissions.processing.tasks import inspect_file

    inspect_file(file_id=queued[0])  # the worker gets to it
    uploader.wait_state("broken_stack.ome.tif", "Failed")
    uploader.wait_settled(1)
    stored = DataFile.objects.get()
    assert uploader.row("broken_stack.ome.tif").detail == stored.failure_message
    assert uploader.summary() == "0 verified, 1 failed. Retry or remove the failed file."
    log = uploader.log()
    assert log[-3:] == [
        "broken_stack.ome.tif: verified. The server confirmed its SHA-256.",
        f"broken_stack.ome.tif: failed. {stored.failure_message}",
        "0 verified, 1 failed. Retry or remove the failed file.",
    ]
    assert not any("Upload complete" in line for line in log)


def test_a_worker_that_cannot_start_fails_the_file_in_words(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    """The hashing worker's script is missing (a broken deployment): the file fails with a
    reason a person can act on instead of uploading forever, and no byte is sent."""
    note = tmp_path / "notes.txt"
    note.write_bytes(b"field notes\n" * 100)
    page.route(re.compile(r"/static/vendor/uploader/hash-worker[^/]*\.js$"), lambda r: r.abort())
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.add(note)
    uploader.start("Upload 1 file")
    uploader.wait_settled(1)
    assert uploader.row("notes.txt").state == "Failed"
    assert uploader.row("notes.txt").detail == (
        "This browser could not start the uploader's SHA-256 worker, so nothing was sent. "
        "Reload the page, or use the command-line uploader."
    )
    assert uploader.summary() == "0 verified, 1 failed. Retry or remove the failed file."
    assert UploadPart.objects.count() == 0


def test_files_dropped_on_the_drop_zone_are_listed_with_their_sizes(
    live_server: Any, page: Any, researcher: User, draft: Submission
) -> None:
    login(page, live_server.url, researcher.email, PASSWORD)
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.ready()
    # A drop as the browser delivers it: a DataTransfer holding two files.
    page.evaluate(
        """() => {
          const dropped = new DataTransfer();
          dropped.items.add(new File([new Uint8Array(1500000)], 'plate-1.raw'));
          dropped.items.add(new File(['a note'], 'readme.txt'));
          const zone = document.getElementById('upload-drop');
          zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dropped, bubbles: true }));
          zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true }));
        }"""
    )
    uploader.wait_state("readme.txt", "Ready")
    assert uploader.row("plate-1.raw").size == "1.5 MB"
    assert uploader.row("readme.txt").size == "6 B"
    assert uploader.progress_text() == "0 B of 1.5 MB · 2 files ready"
    assert uploader.log() == ["2 files added, 1.5 MB ready to upload."]
    assert page.get_by_role("button", name="Upload 2 files").is_enabled()
