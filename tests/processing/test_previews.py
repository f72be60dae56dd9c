"""Inspection makes a small preview of each image, so curators see the pixels before they
approve (the OME-Zarr thumbnail only exists after conversion). Only people who may see the
submission can load it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import tifffile
from django.test import Client
from PIL import Image

from submissions.accounts.models import User
from submissions.conversion.builtin.sources import open_source
from submissions.conversion.preview import make_preview
from submissions.lifecycle.models import Submission
from submissions.processing.inspection import inspect_data_file
from tests.conftest import signed_in
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes


def test_the_preview_shows_the_picture_not_noise(tmp_path: Path) -> None:
    # A bright square in the middle of a dark 2000 x 1000 plane, two channels.
    plane = np.zeros((1000, 2000), dtype=np.uint16)
    plane[400:600, 900:1100] = 4000
    path = tmp_path / "square.ome.tif"
    tifffile.imwrite(path, np.stack([plane, plane // 2]), ome=True, metadata={"axes": "CYX"})

    with open_source(path=path) as source:
        png = make_preview(source=source, max_size=200)
    assert png is not None
    image = np.asarray(Image.open(io.BytesIO(png)))
    assert image.shape[:2] == (100, 200)  # longer side 200, aspect kept
    assert image.shape[2] == 3  # two channels as R and G
    red = image[..., 0].astype(int)
    assert red[50, 100] > 200  # the square
    assert red[5, 5] < 30  # the background


def test_a_plane_too_large_to_read_gets_no_preview(tmp_path: Path) -> None:
    path = tmp_path / "wide.tif"
    tifffile.imwrite(path, np.zeros((300, 400), dtype=np.uint8))
    with open_source(path=path) as source:
        assert make_preview(source=source, max_plane_pixels=100_000) is None


@pytest.mark.django_db
def test_curators_and_the_owner_see_the_preview_others_get_404(
    researcher: User, curator: User, outsider: User, tmp_path: Path
) -> None:
    submission: Submission = make_submission(researcher=researcher)
    data_file = add_file(submission, ome_tiff_bytes(tmp_path))
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    assert data_file.inspection["preview"] is True

    url = f"/submissions/{submission.pk}/files/{data_file.pk}/preview.png"
    for user in (researcher, curator):
        response = signed_in(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert signed_in(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page

    review = signed_in(curator).get(f"/submissions/{submission.pk}/review/").content.decode()
    assert url in review
    files = signed_in(researcher).get(f"/submissions/{submission.pk}/files/").content.decode()
    assert url in files


@pytest.mark.django_db
def test_a_file_without_a_preview_answers_404(researcher: User) -> None:
    submission = make_submission(researcher=researcher)
    notes = add_file(submission, b"plain notes, not an image\n" * 10, name="notes.txt")
    inspect_data_file(file_id=str(notes.pk))
    url = f"/submissions/{submission.pk}/files/{notes.pk}/preview.png"
    assert signed_in(researcher).get(url).status_code == 404


@pytest.mark.django_db
def test_a_preview_that_cannot_be_made_never_fails_inspection(
    researcher: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from submissions.processing import inspection

    def broken(**kwargs: object) -> bytes:
        raise MemoryError("no room for a preview")  # stands for any rendering failure

    monkeypatch.setattr(inspection, "make_preview", broken)
    submission = make_submission(researcher=researcher)
    data_file = add_file(submission, ome_tiff_bytes(tmp_path))
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    assert data_file.status == "inspected"
    assert data_file.inspection["series"]
    assert data_file.inspection["preview"] is False
    url = f"/submissions/{submission.pk}/files/{data_file.pk}/preview.png"
    assert signed_in(researcher).get(url).status_code == 404
