"""A researcher uploads two files on the files page, and the network drops in the middle."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024


@pytest.mark.usefixtures("five_mib_parts")
def test_two_files_upload_through_a_network_interruption(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    first = tmp_path / "cell-a.tif"
    first.write_bytes(b"II*\x00" + os.urandom(12 * MIB))
    second = tmp_path / "cell-b.bin"
    second.write_bytes(os.urandom(11 * MIB))

    def slow_parts(route: Any) -> None:
        time.sleep(0.25)  # keep the upload in flight long enough to cut the network
        route.continue_()

    page.route("**/parts/*/data?*", slow_parts)
    login(page, live_server.url, researcher.email, "correct horse battery")
    page.goto(f"{live_server.url}/submissions/{draft.pk}/files/")
    page.get_by_role("heading", name="Files", exact=True).wait_for()
    page.get_by_text("No files yet").wait_for()
    page.locator("input.uppy-Dashboard-input").first.set_input_files([str(first), str(second)])
    page.get_by_role("button", name="Upload 2 files").click()

    with page.expect_response(lambda r: "/data?" in r.url and r.status == 200):
        pass
    page.context.set_offline(True)
    time.sleep(2)
    page.context.set_offline(False)

    table = page.locator("#file-table")
    # Verified, and then (tasks run eagerly here) inspected at once.
    table.get_by_text(re.compile("^(Verified|Inspected|Failed)$")).nth(1).wait_for(timeout=60_000)
    files = {f.name: f for f in DataFile.objects.all()}
    assert set(files) == {"cell-a.tif", "cell-b.bin"}
    assert all(f.verified_at and len(f.sha256) == 64 for f in files.values())
    assert files["cell-a.tif"].detected_type == "image/tiff"
    import hashlib

    assert files["cell-b.bin"].sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    assert table.get_by_role("link", name="Receipt for cell-a.tif").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "uploads-files-page.png"), full_page=True)


def test_someone_elses_files_page_is_404(
    live_server: Any, page: Any, outsider: User, draft: Submission
) -> None:
    login(page, live_server.url, outsider.email, "correct horse battery")
    page.get_by_role("link", name="My submissions").wait_for()
    response = page.goto(f"{live_server.url}/submissions/{draft.pk}/files/")
    assert response.status == 404
