"""A researcher reloads the files page in the middle of an upload, re-adds the file, and it
finishes without any part reaching the server twice."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from submissions.models import DataFile, Submission, UploadPart, User
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
    stack = tmp_path / "stack.raw"
    stack.write_bytes(os.urandom(14 * MIB))  # 3 parts; too big for the browser to keep

    def only_the_first_part(route: Any) -> None:
        if part_number(route.request.url) == 1:
            route.continue_()
        else:
            route.abort("connectionreset")  # Uppy retries these until the page reloads

    login(page, live_server.url, researcher.email, "correct horse battery")
    page.goto(f"{live_server.url}/submissions/{draft.pk}/files/")
    page.route("**/parts/*/data?*", only_the_first_part)
    page.locator("input.uppy-Dashboard-input").first.set_input_files(str(stack))
    with page.expect_response(lambda r: part_number(r.url) == 1 and r.status == 200):
        page.get_by_role("button", name="Upload 1 file").click()
    datafile = DataFile.objects.get()
    arrived = dict(
        UploadPart.objects.filter(datafile=datafile).values_list("number", "received_at")
    )
    assert set(arrived) == {1}
    page.wait_for_timeout(700)  # Golden Retriever writes its state at most every 500 ms

    page.reload()
    page.unroute_all(behavior="ignoreErrors")
    dashboard = page.locator("#uppy-dashboard")
    dashboard.get_by_text("The page was reloaded during an upload. Add the same file").wait_for()
    dashboard.get_by_text("stack.raw").first.wait_for()
    page.screenshot(path="/tmp/uploads2-reloaded.png", full_page=True)
    assert page.get_by_role("status").filter(has_text="Add stack.raw again").count() == 1

    sent: list[int] = []
    creates: list[Any] = []
    page.on("request", lambda r: sent.append(n) if (n := part_number(r.url)) else None)
    page.on("response", lambda r: creates.append(r) if r.url.endswith("/api/v1/uploads/") else None)
    dashboard.get_by_role("button", name="Re-select").click()
    page.locator("input.uppy-Dashboard-input").first.set_input_files(str(stack))
    page.get_by_role("button", name="Upload 1 file").click()

    table = page.locator("#file-table")
    table.get_by_text(re.compile("^(Verified|Inspected)$")).wait_for(timeout=60_000)
    page.screenshot(path="/tmp/uploads2-resumed.png", full_page=True)
    assert [r.status for r in creates] == [200]  # found the upload it had started: resumed
    assert creates[0].json()["resumed"] is True
    assert sorted(sent) == [2, 3]
    datafile = DataFile.objects.get()
    assert datafile.sha256 == hashlib.sha256(stack.read_bytes()).hexdigest()
    parts = dict(UploadPart.objects.filter(datafile=datafile).values_list("number", "received_at"))
    assert set(parts) == {1, 2, 3}
    assert parts[1] == arrived[1]  # the server never received part 1 again
