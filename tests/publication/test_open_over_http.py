"""FAIR means Accessible: a published image opens with zarr-python straight from the portal,
over HTTP, and holds exactly the pixels the researcher uploaded."""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
import zarr

from submissions.accounts.models import User
from submissions.lifecycle.models import SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.review import services as review
from tests.factories import complete_rembi
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_published_image_opens_over_http_with_the_uploaded_pixels(
    live_server: Any, researcher: User, curator: User, tmp_path: Path
) -> None:
    metadata = complete_rembi(release_date=dt.date.today().isoformat())
    submission = make_submission(researcher=researcher, metadata=metadata)
    content = ome_tiff_bytes(tmp_path, seed=3)
    data_file = add_file(submission, content, name="cells.ome.tif")
    inspect_data_file(file_id=str(data_file.pk))
    review.approve(submission=submission, curator=curator)  # Celery runs eagerly here
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PUBLISHED

    base = f"{live_server.url}/datasets/{submission.accession}/"
    with urllib.request.urlopen(base + "metadata.json") as response:
        document = json.load(response)
    url = document["files"][0]["ome_zarr"]["url"]
    pixels = zarr.open_array(url + "0/0", mode="r")
    uploaded = tifffile.imread(io.BytesIO(content))
    assert pixels.shape == (1, 2, 3, 70, 90)
    assert np.array_equal(np.asarray(pixels[:]), uploaded.reshape(pixels.shape))

    with urllib.request.urlopen(base) as response:
        landing = response.read().decode()
    assert f'zarr.open_array("{url}0/0"' in landing


def test_a_shard_is_served_by_byte_ranges(
    live_server: Any, researcher: User, curator: User, tmp_path: Path
) -> None:
    # Sharded NGFF 0.5 is read by ranges (RFC 9110 14): each chunk at its offset, and the
    # shard's index as the suffix "bytes=-N" (what zarrita and zarr-python send).
    from submissions.core import keys, storage

    metadata = complete_rembi(release_date=dt.date.today().isoformat())
    submission = make_submission(researcher=researcher, metadata=metadata)
    data_file = add_file(submission, ome_tiff_bytes(tmp_path, seed=4), name="cells.ome.tif")
    inspect_data_file(file_id=str(data_file.pk))
    review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()
    prefix = keys.archive_prefix(accession=submission.accession, file_id=data_file.pk)
    shard_key = f"{prefix}/0/0/c/0/0/0/0/0"
    stored = Path(storage.archive().path(shard_key)).read_bytes()
    url = (
        f"{live_server.url}/datasets/{submission.accession}/files/{data_file.pk}.ome.zarr/"
        "0/0/c/0/0/0/0/0"
    )

    def fetch(method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    status, headers, body = fetch(Range="bytes=10-109")
    assert (status, body) == (206, stored[10:110])
    assert headers["Content-Range"] == f"bytes 10-109/{len(stored)}"
    status, _, body = fetch(Range="bytes=-36")
    assert (status, body) == (206, stored[-36:])
    status, _, body = fetch(Range=f"bytes={len(stored) - 5}-")
    assert (status, body) == (206, stored[-5:])
    status, headers, _ = fetch(Range=f"bytes={len(stored)}-")
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(stored)}"
    status, headers, body = fetch()
    assert (status, body, headers["Accept-Ranges"]) == (200, stored, "bytes")
    status, headers, body = fetch("HEAD")
    assert (status, body, int(headers["Content-Length"])) == (200, b"", len(stored))
    status, headers, _ = fetch("OPTIONS", Origin="https://viewer.example")
    assert status == 204
    assert headers["Access-Control-Allow-Headers"] == "Range"
