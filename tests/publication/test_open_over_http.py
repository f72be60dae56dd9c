"""FAIR means Accessible: a published image opens with zarr-python straight from the portal,
over HTTP, and holds exactly the pixels the researcher uploaded."""

from __future__ import annotations

import datetime as dt
import io
import json
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
