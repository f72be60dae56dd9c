"""The files page stays true while the researcher uploads: the staging meter above the
uploader follows the bytes without a reload (reserved when an upload starts, freed when a
file is removed), and each file has one Remove button on the page, not one in the uploader's
list and another in the table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission
from submissions.quotas.selectors import binding_level, levels_for
from tests import factories
from tests.browser import ARTIFACTS, login
from tests.uploads.uploader import UploaderPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MB = 10**6
PASSWORD = "correct horse battery"


def remaining(researcher: User, draft: Submission) -> str:
    """What the staging meter should say is left, from the ledger."""
    tightest = binding_level(levels_for(user=researcher, facility=draft.facility, area="staging"))
    assert tightest is not None
    return f"{format_bytes(tightest.remaining_bytes or 0)} left to upload"


@pytest.mark.usefixtures("five_mib_parts")
def test_the_meter_follows_the_uploads_and_each_file_has_one_remove_button(
    live_server: Any, page: Any, researcher: User, draft: Submission, tmp_path: Path
) -> None:
    factories.quota(facility=draft.facility, user=researcher, hard=100 * MB)
    good = tmp_path / "cell-a.raw"
    good.write_bytes(os.urandom(12 * MB))
    broken = tmp_path / "broken_stack.ome.tif"
    broken.write_bytes(b"II*\x00" + bytes(range(256)) * 8000)  # a TIFF header over nothing, 2 MB

    login(page, live_server.url, researcher.email, PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 900})
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    meter = page.locator("#staging-meter")
    assert "100.0 MB left to upload" in meter.inner_text()
    assert "review copies" in meter.inner_text()

    uploader.add(good, broken)
    uploader.start("Upload 2 files")
    uploader.wait_settled(2)
    table = page.locator("#file-table")
    table.locator("tr", has_text="broken_stack.ome.tif").get_by_text("Failed").wait_for()
    table.locator("tr", has_text="cell-a.raw").get_by_text("Inspected").wait_for()

    # No reload: the meter says what the ledger holds now (both files' bytes are stored).
    expected = remaining(researcher, draft)
    assert expected != "100.0 MB left to upload"
    meter.get_by_text(expected).wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "files-after-upload.png"), full_page=True)

    # One Remove per file: the failed one in the uploader's list (beside its Retry), the
    # verified one in the table (the list no longer offers it).
    broken_removes = page.get_by_role("button", name="Remove broken_stack.ome.tif")
    assert broken_removes.count() == 1
    listed = page.get_by_role("list", name="Files in this upload")
    assert listed.get_by_role("button", name="Remove broken_stack.ome.tif").count() == 1
    assert page.get_by_role("button", name="Remove cell-a.raw").count() == 1
    assert table.get_by_role("button", name="Remove cell-a.raw").count() == 1

    # Removing it frees its bytes, and the meter says so.
    broken_removes.click()
    uploader.wait_state("broken_stack.ome.tif", "Removed")
    table.get_by_role("cell", name="broken_stack.ome.tif", exact=True).wait_for(state="detached")
    freed = remaining(researcher, draft)
    assert freed != expected
    meter.get_by_text(freed).wait_for()
