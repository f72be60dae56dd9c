"""`make bench-viewer`: what the OME-Zarr viewer costs a visitor of a landing page.

Publishes one 3-channel 4096 x 4096 uint16 image (smooth structure plus noise, so chunks
compress as microscopy does; built-in converter, Celery eager) and opens its landing page in
Debian's chromium (headless, WebGL 2 on SwiftShader: no GPU here, so drawing is slower than on
a visitor's machine), REPEATS times each:

- cold: a fresh browser context (empty cache), from navigation to the first full view drawn
  (the viewer's data-state="ready": every tile of the fitted view decoded and drawn);
- warm: the same page reloaded (scripts and tiles from the HTTP cache).

The peer, timed in the same run, is what a visitor had before the viewer: the same landing
page with JavaScript off (HTML, CSS and the 256-pixel thumbnail, to the load event).

Prints BENCH lines: viewer.bundle_* (bytes the page fetched from static/vendor/viewer, raw and
gzip -9, which whitenoise serves), viewer.cold_ready_ms, viewer.warm_ready_ms and
viewer.peer_nojs_load_ms (medians), and viewer.tile_bytes (OME-Zarr bytes of one cold view).
Run it as pytest runs tests (it needs the live server and database fixtures); it is never part
of the suite.
"""

from __future__ import annotations

import datetime as dt
import gzip
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

from submissions.processing.inspection import inspect_data_file
from submissions.review import services as review
from tests.factories import complete_rembi
from tests.processing.conftest import add_file, make_submission

REPEATS = 5
SIDE = 4096
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def big_image(path: Path) -> bytes:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    planes = []
    for c in range(3):
        smooth = 1500 + 1200 * np.sin((xx + 300 * c) / 97.0) * np.cos(yy / 131.0)
        planes.append(smooth + rng.normal(0, 60, size=(SIDE, SIDE)))
    data = np.clip(np.stack(planes), 0, 65535).astype(np.uint16)[np.newaxis, :, np.newaxis]
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        tile=(512, 512),
        metadata={"axes": "TCZYX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.1},
    )
    return path.read_bytes()


def publish(researcher: Any, curator: Any, tmp_path: Path) -> str:
    metadata = complete_rembi(release_date=dt.date.today().isoformat())
    submission = make_submission(researcher=researcher, metadata=metadata)
    data_file = add_file(submission, big_image(tmp_path / "big.ome.tif"), name="big.ome.tif")
    inspect_data_file(file_id=str(data_file.pk))
    review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()
    return str(submission.accession)


def ready_ms(page: Any, url: str, *, reload: bool = False) -> float:
    started = time.perf_counter()
    if reload:
        page.reload()
    else:
        page.goto(url)
    page.wait_for_selector("[data-ome-zarr-viewer][data-state=ready]", timeout=120_000)
    return (time.perf_counter() - started) * 1000


def test_bench_viewer(
    browser: Any, live_server: Any, researcher: Any, curator: Any, tmp_path: Path
):
    url = f"{live_server.url}/datasets/{publish(researcher, curator, tmp_path)}/"
    cold, warm, peer = [], [], []
    scripts: set[str] = set()
    tile_bytes = 0
    for repeat in range(REPEATS):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        fetched: list[Any] = []
        page.on("requestfinished", lambda request, seen=fetched: seen.append(request))
        cold.append(ready_ms(page, url))
        warm.append(ready_ms(page, url, reload=True))
        if repeat == 0:
            for request in fetched:
                if "/static/vendor/viewer/" in request.url:
                    scripts.add(request.url.split("/static/")[1].split("?")[0])
                elif ".ome.zarr/" in request.url:
                    sizes = request.sizes()
                    tile_bytes += sizes["responseBodySize"]
        context.close()
        nojs = browser.new_context(java_script_enabled=False)
        plain = nojs.new_page()
        started = time.perf_counter()
        plain.goto(url, wait_until="load")
        peer.append((time.perf_counter() - started) * 1000)
        nojs.close()
    raw = [
        (ROOT / "build" / "vendor" / name.removeprefix("vendor/")).read_bytes() for name in scripts
    ]
    print(f"BENCH viewer.bundle_files {len(raw)}")
    print(f"BENCH viewer.bundle_bytes {sum(len(b) for b in raw)}")
    print(f"BENCH viewer.bundle_gzip_bytes {sum(len(gzip.compress(b, 9)) for b in raw)}")
    print(f"BENCH viewer.tile_bytes {tile_bytes}")
    print(f"BENCH viewer.cold_ready_ms {statistics.median(cold):.0f}")
    print(f"BENCH viewer.warm_ready_ms {statistics.median(warm):.0f}")
    print(f"BENCH viewer.peer_nojs_load_ms {statistics.median(peer):.0f}")
    print(f"# cold {[round(v) for v in cold]} warm {[round(v) for v in warm]}")
    print(f"# peer {[round(v) for v in peer]}")
