"""A researcher reloads the files page in the middle of an upload; the uploader lists what was
interrupted, the researcher adds the same files again, and they finish without any part
reaching the server twice."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, UploadPart
from tests import factories
from tests.browser import ARTIFACTS, login
from tests.uploads.uploader import UploaderPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024
PART_DATA = re.compile(r"/parts/(\d+)/data\?")


def part_number(url: str) -> int | None:
    found = PART_DATA.search(url)
    return int(found.group(1)) if found else None


def test_a_reload_mid_upload_lists_what_was_interrupted_and_resumes_without_resending_parts(
    live_server: Any,
    page: Any,
    researcher: User,
    draft: Submission,
    tmp_path: Path,
    five_mib_parts: int,
) -> None:
    small = tmp_path / "small.raw"
    small.write_bytes(os.urandom(8 * MIB))  # 2 parts
    stack = tmp_path / "stack.raw"
    stack.write_bytes(os.urandom(14 * MIB))  # 3 parts
    # Room for both, not for both twice: resuming must not be charged again.
    factories.quota(facility=draft.facility, user=researcher, hard=23 * MIB)

    def only_the_first_parts(route: Any) -> None:
        if part_number(route.request.url) == 1:
            route.continue_()
        else:
            route.abort("connectionreset")  # retried by the uploader until the page reloads

    login(page, live_server.url, researcher.email, "correct horse battery")
    page.set_viewport_size({"width": 1366, "height": 768})
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    page.route("**/parts/*/data?*", only_the_first_parts)
    uploader.add(small, stack)
    uploader.start("Upload 2 files")
    # Progress counts the parts the server accepted, not bytes merely sent: part 1 of each.
    accepted = format_bytes(2 * 5 * MIB)
    page.get_by_text(f"{accepted} of {format_bytes(22 * MIB)} accepted by the server").wait_for()
    assert uploader.row("small.raw").detail == f"5.2 MB of {format_bytes(8 * MIB)}"
    assert uploader.row("stack.raw").state == "Uploading"
    page.screenshot(path=str(ARTIFACTS / "uploader-in-flight.png"))
    arrived = received_parts()
    assert arrived.keys() == {("small.raw", 1), ("stack.raw", 1)}

    page.reload()
    page.unroute_all(behavior="ignoreErrors")
    uploader.wait_state("stack.raw", "Interrupted")
    uploader.wait_state("small.raw", "Interrupted")
    assert uploader.row("stack.raw").detail == (
        "The page was reloaded during this upload (5.2 MB of 14.7 MB arrived). "
        "Add the file again to resume."
    )
    assert uploader.log() == [
        "Add small.raw, stack.raw again to resume: the page was closed or reloaded during "
        "the upload."
    ]
    page.screenshot(path=str(ARTIFACTS / "uploader-reloaded.png"))

    sent: list[str] = []
    creates: list[Any] = []
    page.on("request", lambda r: sent.append(r.url) if part_number(r.url) else None)
    page.on("response", lambda r: creates.append(r) if r.url.endswith("/api/v1/uploads/") else None)
    uploader.add(small, stack)
    assert uploader.row("stack.raw").state == "Ready"
    assert len(page.locator(".upload-item").all()) == 2  # the same rows, not new ones
    uploader.start("Upload 2 files")
    uploader.wait_settled(2)
    assert uploader.summary() == "Upload complete: 2 verified."
    page.screenshot(path=str(ARTIFACTS / "uploader-resumed.png"))
    assert creates == []  # the interrupted uploads were taken up again, not created anew
    files = {f.name: f for f in DataFile.objects.all()}
    assert files.keys() == {"small.raw", "stack.raw"}
    ids = {str(f.pk): name for name, f in files.items()}
    assert sorted((ids[url.split("/")[6]], part_number(url)) for url in sent) == [
        ("small.raw", 2),
        ("stack.raw", 2),
        ("stack.raw", 3),
    ]
    for name, path in (("small.raw", small), ("stack.raw", stack)):
        assert files[name].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        # The SHA-256 declared at completion covers the parts sent before the reload too.
        assert files[name].declared_sha256 == files[name].sha256
    parts = received_parts()
    assert len(parts) == 5
    for key, received_at in arrived.items():
        assert parts[key] == received_at  # the server never received a part twice


def received_parts() -> dict[tuple[str, int], Any]:
    """(file name, part number) -> when the server stored that part."""
    return {
        (name, number): at
        for name, number, at in UploadPart.objects.values_list(
            "datafile__name", "number", "received_at"
        )
    }


def test_a_file_that_changed_before_resuming_is_caught_and_sent_again_from_the_start(
    live_server: Any,
    page: Any,
    researcher: User,
    draft: Submission,
    tmp_path: Path,
    five_mib_parts: int,
) -> None:
    """Same name, size and date, other bytes (rewritten in place by an instrument): the
    server's part 1 does not match what the browser reads now, so nothing is mixed."""
    stack = tmp_path / "stack.raw"
    stack.write_bytes(os.urandom(12 * MIB))
    when = stack.stat().st_mtime

    def only_the_first_part(route: Any) -> None:
        if part_number(route.request.url) == 1:
            route.continue_()
        else:
            route.abort("connectionreset")

    login(page, live_server.url, researcher.email, "correct horse battery")
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    page.route("**/parts/*/data?*", only_the_first_part)
    uploader.add(stack)
    uploader.start("Upload 1 file")
    page.get_by_text(re.compile(r"^5\.2 MB of 12\.6 MB accepted by the server$")).wait_for()
    page.reload()
    page.unroute_all(behavior="ignoreErrors")
    uploader.wait_state("stack.raw", "Interrupted")

    changed = os.urandom(12 * MIB)
    stack.write_bytes(changed)
    os.utime(stack, (when, when))
    uploader.add(stack)
    uploader.start("Upload 1 file")
    uploader.wait_state("stack.raw", "Failed")
    assert uploader.row("stack.raw").detail == (
        "This file changed since its upload began (part 1 differs from the one the server "
        "holds). Retry to send it again from the start."
    )
    page.get_by_role("list", name="Files in this upload").get_by_role(
        "button", name="Retry stack.raw"
    ).click()
    uploader.wait_state("stack.raw", "Verified")
    uploader.wait_settled(1)
    assert uploader.summary() == "Upload complete: 1 verified."
    kept = DataFile.objects.exclude(status="aborted").get()
    assert kept.sha256 == hashlib.sha256(changed).hexdigest()
    assert DataFile.objects.filter(status="aborted").count() == 1  # the first attempt
