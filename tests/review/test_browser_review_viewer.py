"""A curator explores a submitted dataset in the viewer on the review page, before deciding,
and files a change about what they see, with a screenshot; the researcher sees it.

Real browser (chromium, WebGL 2 on SwiftShader: tests/browser.py) under the site's own strict
Content-Security-Policy; the 3-channel z-stack with two time points of
tests/publication/viewer_image.py is converted at submit by the built-in converter (Celery
eager) into the private review copy; the canvas is read back from screenshots cell by cell,
as on the landing page (tests/publication/test_viewer_landing.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from submissions.core import storage
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.processing.models import ConversionJob, JobState
from submissions.review import services as review
from submissions.review.models import ChangeRequestPoint
from tests.browser import ARTIFACTS, login
from tests.conftest import signed_in
from tests.factories import complete_rembi
from tests.processing.conftest import add_file, make_submission
from tests.publication import viewer_image as grid
from tests.publication.test_viewer_landing import expect_picture, plane, viewer_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def submit_grid(researcher: Any, tmp_path: Path) -> Submission:
    metadata = complete_rembi(release_date=dt.date.today().isoformat())
    submission = make_submission(
        researcher=researcher, status=SubmissionStatus.DRAFT, metadata=metadata
    )
    Submission.objects.filter(pk=submission.pk).update(title=metadata["study"]["title"])
    data_file = add_file(submission, grid.ome_tiff(tmp_path), name="grid.ome.tif")
    inspect_data_file(file_id=str(data_file.pk))
    review.submit(submission=submission, user=researcher)  # converts now (Celery eager)
    submission.refresh_from_db()
    job = ConversionJob.objects.get(submission=submission)
    assert job.state == JobState.SUCCEEDED, job.error_details
    assert submission.status == SubmissionStatus.SUBMITTED
    return submission


def test_a_curator_explores_the_review_copy_and_files_a_change_about_the_image(
    page: Any,
    live_server: Any,
    researcher: Any,
    curator: Any,
    outsider: Any,
    tmp_path: Path,
    browser: Any,
) -> None:
    submission = submit_grid(researcher, tmp_path)
    used: list[str] = []
    page.on(
        "request",
        lambda request: used.append(request.url) if "/review-copies/" in request.url else None,
    )
    login(page, live_server.url, curator.email, PASSWORD)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    images = page.get_by_role("region", name="Images")
    assert images.get_by_text("Ready to view").is_visible()
    viewer = page.get_by_role("region", name="Explore the images")
    viewer_ready(page)

    # The pixels on screen are the data's: every cell, for the plane and channels shown.
    for name in grid.CHANNEL_NAMES:
        assert viewer.get_by_role("checkbox", name=f"Show {name}").is_checked()
    assert plane(page) == (grid.Z // 2, 0)
    expect_picture(page)
    # Another z-plane and a channel off: the picture follows.
    viewer.get_by_role("slider", name="Z-plane").focus()
    page.keyboard.press("Home")
    assert plane(page) == (0, 0)
    viewer.get_by_role("checkbox", name="Show Membrane").uncheck()
    expect_picture(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-viewer.png"), full_page=True)

    # "Request a change about this image": a point bound to this file and view, with a
    # screenshot, in the change-request form.
    page.get_by_role("button", name="Request a change about this image").click()
    form = page.locator("#request-changes")
    assert form.get_attribute("open") is not None
    preview = form.locator("[data-point-image-preview]").first
    assert "Screenshot attached of grid.ome.tif: series 1, z-plane 1, time point 1" in (
        preview.get_attribute("alt") or ""
    )
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    attached = form.locator("input[type=file]").evaluate_all(
        "inputs => inputs.map(i => i.files.length)"
    )
    assert attached.count(1) == 1, attached
    form.get_by_label("Message to the researcher").fill("Please check the first plane.")
    form.get_by_label("What should change").first.fill("The membrane channel is empty here.")
    page.screenshot(path=str(ARTIFACTS / "review-viewer-change-point.png"), full_page=True)
    form.get_by_role("button", name="Send change request").click()
    page.wait_for_url(f"**/submissions/{submission.pk}/review/**")

    point = ChangeRequestPoint.objects.get(change_request__submission=submission)
    assert str(point.file_id) == str(ConversionJob.objects.get(submission=submission).data_file_id)
    assert point.message == "The membrane channel is empty here."
    assert point.image_view == {
        "series": 0,
        "z": 0,
        "t": 0,
        "channels": [{"index": 0, "name": "Nucleus"}, {"index": 2, "name": "Mitochondria"}],
    }
    # The screenshot is the canvas: the nucleus cell of plane z=0 is in it, in its colour.
    with storage.open_object(storage=storage.staging(), key=point.screenshot_key) as handle:
        shot = grid.png_pixels(handle.read())
    assert min(shot.shape[:2]) > 100
    assert (shot.reshape(-1, shot.shape[-1])[:, :3].max(axis=1) > 200).any()

    # The researcher sees the point beside the file, with the screenshot and the view.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    theirs = context.new_page()
    login(theirs, live_server.url, researcher.email, PASSWORD)
    theirs.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    row = theirs.locator(f"#file-{point.file_id}")
    assert "The membrane channel is empty here." in row.inner_text()
    assert "Seen at: Series 1, z-plane 1, time point 1; channels Nucleus, Mitochondria" in (
        row.inner_text()
    )
    shot_img = row.get_by_role("img", name="Screenshot the curator took of this image")
    shot_img.scroll_into_view_if_needed()
    theirs.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=shot_img.element_handle()
    )
    theirs.screenshot(path=str(ARTIFACTS / "review-point-researcher.png"), full_page=True)
    context.close()

    # Every review-copy address the page used is a 404 for an outsider, whole or by range.
    used = sorted({url for url in used if "/review-copies/" in url})
    assert used, "the viewer read nothing from the review copy"
    stranger = signed_in(outsider)
    for url in used:
        path = url.split(live_server.url, 1)[1]
        assert stranger.get(path).status_code == 404, path
        assert stranger.get(path, HTTP_RANGE="bytes=0-15").status_code == 404, path
    screenshot = f"/submissions/{submission.pk}/review/points/{point.pk}/screenshot.png"
    assert stranger.get(screenshot).status_code == 404


def test_the_review_page_shows_each_conversion_as_it_stands_and_updates_itself(
    page: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    submission = submit_grid(researcher, tmp_path)
    ready = ConversionJob.objects.get(submission=submission)
    waiting = add_file(submission, b"II*\x00" + b"\x00" * 60, name="waiting.tif")
    running = add_file(submission, b"II*\x00" + b"\x00" * 60, name="running.tif")
    broken = add_file(submission, b"II*\x00" + b"\x00" * 60, name="broken.tif")
    now = dt.datetime.now(dt.UTC)
    ConversionJob.objects.create(submission=submission, data_file=waiting, due_at=now)
    converting = ConversionJob.objects.create(
        submission=submission,
        data_file=running,
        due_at=now,
        state=JobState.RUNNING,
        progress=0.42,
        stage="converting",
    )
    ConversionJob.objects.create(
        submission=submission,
        data_file=broken,
        due_at=now,
        state=JobState.FAILED,
        error_kind="user",
        error_message="This file is not a TIFF the converter can read: the header is cut short.",
        error_details="tifffile: TiffFileError at offset 8",
    )
    login(page, live_server.url, curator.email, PASSWORD)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    states = page.get_by_role("list", name="Conversion of each image")
    assert "Waiting for a converter" in states.locator("#image-" + str(waiting.pk)).inner_text()
    row = states.locator(f"#image-{running.pk}")
    assert "Converting" in row.inner_text()
    assert row.get_by_role("progressbar").get_attribute("value") == "42"
    failed = states.locator(f"#image-{broken.pk}")
    assert "Could not be converted" in failed.inner_text()
    assert "the header is cut short" in failed.inner_text()
    failed.get_by_text("Details for curators").click()
    assert "TiffFileError" in failed.inner_text()
    assert "Ready to view" in states.locator(f"#image-{ready.data_file_id}").inner_text()
    viewer_ready(page)  # the ready one is in the viewer already
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#images").screenshot(path=str(ARTIFACTS / "review-images-states.png"))

    # The converter finishes the running one: the list says so by itself, and offers the
    # viewer for it without reloading what the curator is doing.
    ConversionJob.objects.filter(pk=converting.pk).update(
        state=JobState.SUCCEEDED, progress=1.0, review_prefix=ready.review_prefix
    )
    page.wait_for_selector(f"#image-{running.pk} >> text=Ready to view", timeout=15_000)
    assert page.get_by_role("link", name="Show them in the viewer").is_visible()
