"""A researcher reloads the files page in the middle of an upload, re-adds the file, and it
finishes without any part reaching the server twice."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, UploadPart
from tests import factories
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024
PART_DATA = re.compile(r"/parts/(\d+)/data\?")


def part_number(url: str) -> int | None:
    found = PART_DATA.search(url)
    return int(found.group(1)) if found else None


def test_a_reload_mid_upload_restores_the_list_and_resumes_without_resending_parts(
    live_server: Any,
    page: Any,
    researcher: User,
    draft: Submission,
    tmp_path: Path,
    five_mib_parts: int,
) -> None:
    small = tmp_path / "small.raw"
    small.write_bytes(os.urandom(8 * MIB))  # 2 parts; the browser keeps it (up to 10 MiB)
    stack = tmp_path / "stack.raw"
    stack.write_bytes(os.urandom(14 * MIB))  # 3 parts; too big for the browser to keep
    # Room for both, not for both twice: resuming must not be charged again.
    factories.quota(facility=draft.facility, user=researcher, hard=23 * MIB)

    def only_the_first_parts(route: Any) -> None:
        if part_number(route.request.url) == 1:
            route.continue_()
        else:
            route.abort("connectionreset")  # Uppy retries these until the page reloads

    login(page, live_server.url, researcher.email, "correct horse battery")
    page.goto(f"{live_server.url}/submissions/{draft.pk}/files/")
    page.route("**/parts/*/data?*", only_the_first_parts)
    page.locator("input.uppy-Dashboard-input").first.set_input_files([str(small), str(stack)])
    page.get_by_role("button", name="Upload 2 files").click()
    page.wait_for_function(
        "() => window.apertureUppy.getFiles().every((f) => f.progress.bytesUploaded >= 5242880)"
    )
    arrived = received_parts()
    assert arrived.keys() == {("small.raw", 1), ("stack.raw", 1)}
    page.wait_for_timeout(700)  # Golden Retriever writes its state at most every 500 ms

    page.reload()
    page.unroute_all(behavior="ignoreErrors")
    dashboard = page.locator("#uppy-dashboard")
    dashboard.get_by_text("The page was reloaded during an upload. Add the same file").wait_for()
    dashboard.get_by_text("stack.raw").first.wait_for()
    dashboard.get_by_text("small.raw").first.wait_for()
    assert dashboard.get_by_role("button", name="Re-select").count() == 1  # stack.raw only
    page.screenshot(path="/tmp/uploads2-reloaded.png", full_page=True)
    assert page.get_by_role("status").filter(has_text="Add stack.raw again").count() == 1

    sent: list[str] = []
    creates: list[Any] = []
    page.on("request", lambda r: sent.append(r.url) if part_number(r.url) else None)
    page.on("response", lambda r: creates.append(r) if r.url.endswith("/api/v1/uploads/") else None)
    dashboard.get_by_role("button", name="Re-select").click()
    page.locator("input.uppy-Dashboard-input").first.set_input_files(str(stack))
    page.get_by_role("button", name="Upload 2 files").click()

    table = page.locator("#file-table")
    table.get_by_text(re.compile("^(Verified|Inspected)$")).nth(1).wait_for(timeout=60_000)
    page.screenshot(path="/tmp/uploads2-resumed.png", full_page=True)
    assert sorted(r.status for r in creates) == [200, 200]  # both found on the server: resumed
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
