"""The OME-Zarr viewer on a released dataset's landing page, in a real browser (chromium).

A 3-channel z-stack with two time points (tests/publication/viewer_image.py: one bright cell
per channel, z and t, at a known place) is converted by the built-in converter and published
(Celery runs eagerly). The page is served under a strict Content-Security-Policy, the one the
viewer is built for: scripts from the site only, no inline script or style, no eval and no
WebAssembly. What the canvas shows is read back from screenshots, cell by cell, and must be the
picture the data predicts, before and after every change made with the mouse or the keyboard.

Headless chromium here has no GPU: WebGL 2 runs on SwiftShader (see tests/browser.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from submissions.core import keys, storage
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.review import services as review
from tests.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS
from tests.factories import complete_rembi
from tests.processing.conftest import add_file, make_submission
from tests.publication import viewer_image as grid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the viewer needs and nothing more: no 'unsafe-inline', 'unsafe-eval' or
# 'wasm-unsafe-eval'. (The CSP header of the site itself is set elsewhere.)
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
TOLERANCE = 40  # per colour component: SwiftShader's blending and the PNG round trip


def publish_grid(
    researcher: Any, curator: Any, tmp_path: Path, *, content: bytes | None = None
) -> Submission:
    metadata = complete_rembi(release_date=dt.date.today().isoformat())
    submission = make_submission(researcher=researcher, metadata=metadata)
    content = content or grid.ome_tiff(tmp_path)
    data_file = add_file(submission, content, name="grid.ome.tif")
    inspect_data_file(file_id=str(data_file.pk))
    review.approve(submission=submission, curator=curator)  # Celery runs eagerly here
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PUBLISHED
    return submission


def open_under_csp(page: Any, url: str) -> list[str]:
    """Open `url` with the strict CSP added to the page's response; returns the list that
    collects every CSP violation and uncaught error of the page."""
    problems: list[str] = []

    def add_csp(route: Any) -> None:
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    page.route(url, add_csp)
    page.expose_function("reportViolation", lambda text: problems.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.reportViolation("
        "`${e.violatedDirective} ${e.blockedURI} from ${e.sourceFile}`))"
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(url)
    return problems


def viewer_ready(page: Any) -> None:
    page.wait_for_selector("[data-ome-zarr-viewer][data-state=ready]", timeout=30_000)


def shown_colours(page: Any) -> dict[int, tuple[int, int, int]]:
    """The colour of every channel switched on, as the channel list shows it."""
    colours = {}
    rows = page.locator(".ome-viewer-channel")
    for c in range(rows.count()):
        row = rows.nth(c)
        if row.locator("input[type=checkbox]").is_checked():
            value = row.locator("input[type=color]").input_value()
            colours[c] = (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    return colours


def plane(page: Any) -> tuple[int, int]:
    z = int(page.get_by_label("Z-plane").input_value()) - 1
    t = int(page.get_by_label("Time point").input_value()) - 1
    return z, t


def expect_picture(page: Any, *, zoom_steps: int = 0, pan_px: tuple[float, float] = (0, 0)) -> None:
    """Every cell of the grid on screen has the colour the data predicts for the state the
    controls show, within 15 seconds (tiles load asynchronously)."""
    canvas = page.locator("[data-ome-zarr-viewer] canvas")
    box = canvas.bounding_box()
    width, height = round(box["width"]), round(box["height"])
    z, t = plane(page)
    expected = grid.expected_cells(z=z, t=t, shown=shown_colours(page))
    deadline = time.monotonic() + 15
    while True:
        viewer_ready(page)
        pixels = grid.png_pixels(canvas.screenshot())
        wrong = []
        for (row, col), colour in expected.items():
            x, y = grid.cell_centre_on_screen(
                row=row, col=col, width=width, height=height, zoom_steps=zoom_steps, pan_px=pan_px
            )
            if not (0 <= x < pixels.shape[1] and 0 <= y < pixels.shape[0]):
                continue  # off screen after zooming in
            seen = pixels[int(y), int(x)]
            if np.abs(seen.astype(int) - np.array(colour)).max() > TOLERANCE:
                wrong.append(f"cell {row},{col}: saw {tuple(int(v) for v in seen)}, want {colour}")
        if not wrong:
            return
        if time.monotonic() > deadline:
            ARTIFACTS.mkdir(exist_ok=True)
            canvas.screenshot(path=str(ARTIFACTS / "viewer-wrong-picture.png"))
            raise AssertionError(f"z={z} t={t} zoom={zoom_steps} pan={pan_px}: " + "; ".join(wrong))
        time.sleep(0.25)


def test_the_landing_page_viewer_shows_the_published_pixels_and_follows_the_controls(
    page: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    submission = publish_grid(researcher, curator, tmp_path)
    problems = open_under_csp(page, f"{live_server.url}/datasets/{submission.accession}/")
    viewer = page.get_by_role("region", name="View the images")
    viewer_ready(page)

    # The channel list comes from the data: names, and contrast computed from the pixels.
    for name in grid.CHANNEL_NAMES:
        assert viewer.get_by_role("checkbox", name=f"Show {name}").is_checked()
    assert len(set(shown_colours(page).values())) == grid.C  # three distinct colours
    # Starts at the middle z-plane and the first time point, all channels on.
    assert plane(page) == (grid.Z // 2, 0)
    expect_picture(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer-landing.png"), full_page=True)

    # A channel off: its cell goes dark, the others stay.
    viewer.get_by_role("checkbox", name="Show Membrane").uncheck()
    expect_picture(page)
    # Another z-plane (slider, with the keyboard): the cells move to that row.
    slider = viewer.get_by_role("slider", name="Z-plane")
    slider.focus()
    page.keyboard.press("Home")
    assert plane(page) == (0, 0)
    expect_picture(page)
    # The next time point: each channel's cell moves one column right.
    viewer.get_by_role("slider", name="Time point").fill("2")
    expect_picture(page)
    # A colour changed in the list is the colour on screen.
    viewer.get_by_label("Colour of Nucleus").fill("#ffff00")
    assert shown_colours(page)[0] == (255, 255, 0)
    expect_picture(page)
    # Contrast: the upper limit far above the data dims the bright cells to a known level.
    upper = viewer.get_by_role("slider", name="Nucleus: upper contrast limit")
    upper.fill(upper.get_attribute("max"))
    ratio = grid.BRIGHT / float(upper.get_attribute("max"))
    shown = {0: tuple(round(v * ratio) for v in (255, 255, 0))}
    z, t = plane(page)
    cells = grid.expected_cells(z=z, t=t, shown=shown)
    pixels = _settled_pixels(page)
    x, y = _cell_xy(page, row=z, col=0 + t)
    assert np.abs(pixels[int(y), int(x)].astype(int) - np.array(cells[(z, t)])).max() <= TOLERANCE

    assert problems == [] or all("htmx" in p for p in problems), problems


def test_the_viewer_works_from_the_keyboard_alone(
    page: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    submission = publish_grid(researcher, curator, tmp_path)
    problems = open_under_csp(page, f"{live_server.url}/datasets/{submission.accession}/")
    viewer_ready(page)
    viewer = page.get_by_role("region", name="View the images")
    stage = viewer.get_by_role("application", name="Image viewer: grid.ome.tif")

    # Tab reaches the image from the zoom buttons before it, like any control.
    viewer.get_by_role("button", name="Fit").focus()
    page.keyboard.press("Tab")
    assert stage.evaluate("element => element === document.activeElement")
    status = viewer.get_by_role("status")

    page.keyboard.press("PageUp")  # next z-plane
    assert plane(page) == (grid.Z // 2 + 1, 0)
    assert "Z-plane 4 of 4" in status.inner_text()
    expect_picture(page)

    page.keyboard.press("2")  # channel 2 off
    assert not viewer.get_by_role("checkbox", name="Show Membrane").is_checked()
    assert "channels shown: Nucleus, Mitochondria" in status.inner_text()
    expect_picture(page)

    page.keyboard.press(".")  # next time point
    assert plane(page) == (grid.Z // 2 + 1, 1)
    expect_picture(page)

    page.keyboard.press("+")  # zoom in twice as close, about the centre
    assert "zoom" in status.inner_text()
    expect_picture(page, zoom_steps=1)
    page.keyboard.press("0")  # back to the whole image
    expect_picture(page)
    page.keyboard.press("-")  # half the size: drawn from the next pyramid level
    expect_picture(page, zoom_steps=-1)
    page.keyboard.press("0")

    width = page.locator("[data-ome-zarr-viewer] canvas").bounding_box()["width"]
    page.keyboard.press("ArrowRight")  # the view moves right by an eighth of its width
    expect_picture(page, pan_px=(width / 8, 0))
    page.keyboard.press("Home")
    expect_picture(page)

    # The keys are written down on the page.
    viewer.get_by_text("Keyboard").click()
    assert viewer.get_by_text("next and previous z-plane").is_visible()
    assert problems == [] or all("htmx" in p for p in problems), problems


def test_a_multi_series_file_offers_a_series_picker(
    page: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    content = grid.two_series_ome_tiff(tmp_path)
    submission = publish_grid(researcher, curator, tmp_path, content=content)
    problems = open_under_csp(page, f"{live_server.url}/datasets/{submission.accession}/")
    viewer_ready(page)
    viewer = page.get_by_role("region", name="View the images")
    picker = viewer.get_by_label("Series")
    # Series are named as they are opened (a plate may hold thousands).
    assert picker.locator("option").all_inner_texts() == [
        "Series 1: Image0 (512 \u00d7 512)",
        "Series 2",
    ]
    expect_picture(page)
    assert viewer.get_by_text("50 µm").is_visible()  # series 1 has a pixel size

    picker.select_option(label="Series 2")
    expect(viewer.locator(".ome-viewer-channel")).to_have_count(1)
    viewer_ready(page)
    # No channel name, no pixel size, no z or t: a grey channel, no scale bar, no sliders.
    assert viewer.get_by_role("checkbox", name="Show Channel 1").is_checked()
    assert viewer.get_by_label("Colour of Channel 1").input_value() == "#ffffff"
    assert not viewer.get_by_role("img", name=re.compile("Scale bar")).is_visible()
    assert not viewer.get_by_role("slider", name="Z-plane").is_visible()
    assert picker.locator("option").nth(1).inner_text() == "Series 2: Image1 (256 \u00d7 256)"
    canvas = page.locator("[data-ome-zarr-viewer] canvas")
    box = canvas.bounding_box()
    pixels = _settled_pixels(page)
    for row, col, bright in ((0, 1, True), (0, 0, False), (1, 0, False), (1, 1, False)):
        x, y = grid.cell_centre_on_screen(
            row=row,
            col=col,
            width=round(box["width"]),
            height=round(box["height"]),
            side=256,
            cell=128,
        )
        seen = pixels[int(y), int(x)].astype(int)
        assert (seen.min() > 255 - TOLERANCE) if bright else (seen.max() < TOLERANCE), (row, col)
    assert problems == [] or all("htmx" in p for p in problems), problems


def test_omero_metadata_sets_names_colours_visibility_contrast_and_plane(
    page: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    """The channel list follows the image's "omero" metadata when it has one (NGFF 0.5,
    https://ngff.openmicroscopy.org/0.5/#omero-md): added here to the published image as a
    converter writing it would."""
    submission = publish_grid(researcher, curator, tmp_path)
    data_file = submission.files.get()
    prefix = keys.archive_prefix(accession=submission.accession, file_id=data_file.pk)
    series_json = Path(storage.archive().path(f"{prefix}/0/zarr.json"))
    document = json.loads(series_json.read_text())
    window = {"min": 0, "max": 4000, "start": 0, "end": 2000}
    document["attributes"]["ome"]["omero"] = {
        "channels": [
            {"label": "DNA", "color": "0000FF", "active": True, "window": window},
            {"label": "Actin", "color": "FFFFFF", "active": False, "window": window},
            {
                "label": "Golgi",
                "color": "FF00FF",
                "active": True,
                "window": {**window, "end": 1000},
            },
        ],
        "rdefs": {"defaultZ": 1, "defaultT": 1, "model": "color"},
    }
    series_json.write_text(json.dumps(document))

    open_under_csp(page, f"{live_server.url}/datasets/{submission.accession}/")
    viewer_ready(page)
    viewer = page.get_by_role("region", name="View the images")
    assert viewer.get_by_role("checkbox", name="Show DNA").is_checked()
    assert not viewer.get_by_role("checkbox", name="Show Actin").is_checked()
    assert viewer.get_by_label("Colour of Golgi").input_value() == "#ff00ff"
    assert plane(page) == (1, 1)
    upper = viewer.get_by_role("slider", name="DNA: upper contrast limit")
    assert (upper.input_value(), upper.get_attribute("max")) == ("2000", "4000")
    # DNA's bright cell at half intensity (1000 of a 0-2000 window), Golgi's at full.
    z, t = plane(page)
    want = {(z, 0 + t): (0, 0, 128), (z, 2 + t): (255, 0, 255)}
    pixels = _settled_pixels(page)
    for (row, col), colour in want.items():
        x, y = _cell_xy(page, row=row, col=col)
        seen = pixels[int(y), int(x)].astype(int)
        assert np.abs(seen - np.array(colour)).max() <= TOLERANCE, (row, col, seen)


def truncate_chunk_in_shard(shard: Path, *, chunk: tuple[int, ...], keep: int) -> None:
    """Make one chunk of a sharded array ``keep`` bytes long, as a cut-short write would.

    The index is at the end of the shard: per chunk (offset, length) as little-endian
    uint64, then a CRC32C of the index (Zarr v3 sharding_indexed specification)."""
    import google_crc32c
    import zarr

    array = zarr.open_array(str(shard.parents[5]), mode="r")
    grid = tuple(s // c for s, c in zip(array.shards, array.chunks, strict=True))
    raw = bytearray(shard.read_bytes())
    size = int(np.prod(grid)) * 16
    index = np.frombuffer(bytes(raw[-size - 4 : -4]), dtype="<u8").reshape((*grid, 2)).copy()
    inner = tuple(i % g for i, g in zip(chunk, grid, strict=True))
    index[inner][1] = keep
    encoded = index.tobytes()
    checksum = np.uint32(google_crc32c.value(encoded)).astype("<u4").tobytes()
    raw[-size - 4 :] = encoded + checksum
    shard.write_bytes(bytes(raw))


def test_a_damaged_chunk_is_reported_not_drawn(
    page: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    submission = publish_grid(researcher, curator, tmp_path)
    data_file = submission.files.get()
    prefix = keys.archive_prefix(accession=submission.accession, file_id=data_file.pk)
    # The middle z-plane, which the viewer shows first, at every level: its chunk is cut to
    # 40 bytes inside the level's one shard (the index is made to say so, with a valid
    # checksum, so only the chunk itself is damaged).
    for level in (0, 1):
        shard = Path(storage.archive().path(f"{prefix}/0/{level}/c/0/0/0/0/0"))
        truncate_chunk_in_shard(shard, chunk=(0, 0, grid.Z // 2, 0, 0), keep=40)
    open_under_csp(page, f"{live_server.url}/datasets/{submission.accession}/")
    alert = page.get_by_role("region", name="View the images").get_by_role("alert")
    expect(alert).to_contain_text("Part of this image is damaged and cannot be shown")
    assert page.locator("[data-ome-zarr-viewer]").get_attribute("data-state") == "error"
    # The rest of the page still works.
    assert page.get_by_role("link", name="Download grid.ome.tif").is_visible()


def test_the_landing_page_says_what_the_images_hold_without_javascript(
    browser: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    submission = publish_grid(researcher, curator, tmp_path)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/datasets/{submission.accession}/")
        viewer = page.get_by_role("region", name="View the images")
        text = viewer.inner_text()
        assert (
            "grid.ome.tif: 3 channels (Nucleus, Membrane, Mitochondria), 4 z-planes, "
            "2 time points, 512 \u00d7 512 pixels of 0.5 \u00d7 0.5 µm, 16-bit values." in text
        )
        assert "needs JavaScript and WebGL 2" in text
        assert not viewer.get_by_role("application").count()  # the controls stay hidden
        # The rest of the page is whole: files, download and the open-the-data help.
        assert page.get_by_role("link", name="Download grid.ome.tif").is_visible()
        assert page.get_by_role("heading", name="Open the data").is_visible()
    finally:
        context.close()


def test_a_browser_without_webgl_is_told_so_and_keeps_the_description(
    browser: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
) -> None:
    submission = publish_grid(researcher, curator, tmp_path)
    no_gl = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*LAUNCH_ARGS, "--disable-3d-apis"]
    )
    try:
        page = no_gl.new_page()
        page.goto(f"{live_server.url}/datasets/{submission.accession}/")
        viewer = page.get_by_role("region", name="View the images")
        expect(viewer).to_contain_text("WebGL 2 is off or unavailable")
        assert "3 channels (Nucleus, Membrane, Mitochondria)" in viewer.inner_text()
        assert not viewer.get_by_role("application").is_visible()
    finally:
        no_gl.close()


def _settled_pixels(page: Any) -> np.ndarray:
    time.sleep(0.5)
    viewer_ready(page)
    return grid.png_pixels(page.locator("[data-ome-zarr-viewer] canvas").screenshot())


def _cell_xy(page: Any, *, row: int, col: int) -> tuple[float, float]:
    box = page.locator("[data-ome-zarr-viewer] canvas").bounding_box()
    return grid.cell_centre_on_screen(
        row=row, col=col, width=round(box["width"]), height=round(box["height"])
    )
