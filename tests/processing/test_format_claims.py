"""A file whose name claims an image format but whose bytes are something else fails
inspection with a reason (issue 11 §3), instead of passing as a green attachment. Real bytes
throughout: an HTML page, a PDF, a CZI written by the test helper, real TIFFs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.uploads.models import DataFile, FileStatus
from tests.conversion.conftest import write_czi
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes

pytestmark = pytest.mark.django_db

HTML = b"""<!DOCTYPE html>
<html lang="en"><head><title>Download - Figshare</title></head>
<body><p>Your download will start shortly.</p></body></html>
"""
# A minimal but complete PDF 1.4 document (one empty page).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def draft(researcher: User) -> Submission:
    return make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)


def inspected(submission: Submission, content: bytes, name: str) -> DataFile:
    data_file = add_file(submission, content, name=name)
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    return data_file


def test_an_html_page_named_ome_tif_fails_with_the_reason(draft: Submission) -> None:
    data_file = inspected(draft, HTML, "cells_t0.ome.tif")
    assert data_file.status == FileStatus.FAILED
    assert data_file.failure_code == "format_mismatch"
    assert data_file.failure_message == (
        "Its name says OME-TIFF, but its contents are an HTML web page, not OME-TIFF. It may "
        "have been saved from a web page or renamed by mistake: upload the original OME-TIFF "
        "file."
    )
    assert not data_file.inspection.get("attachment")


@pytest.mark.parametrize(
    ("name", "content", "claimed", "found"),
    [
        ("stack.tiff", PDF, "TIFF", "a PDF document"),
        ("embryo.czi", HTML, "Zeiss CZI", "an HTML web page"),
        ("neurons.nd2", b"not a microscope file at all\n" * 20, "Nikon ND2", "text"),
        ("tissue.lif", b"\x00\x01\x02\x03" * 200, "Leica LIF", "data of a format"),
    ],
)
def test_other_names_whose_bytes_contradict_them_fail(
    draft: Submission, name: str, content: bytes, claimed: str, found: str
) -> None:
    data_file = inspected(draft, content, name)
    assert data_file.status == FileStatus.FAILED
    assert f"name says {claimed}, but its contents are {found}" in data_file.failure_message


def test_a_czi_named_tif_fails_too(draft: Submission, tmp_path: Path) -> None:
    czi = tmp_path / "real.czi"
    pixels = np.zeros((1, 1, 16, 16), dtype=np.uint16)  # C, Z, Y, X
    write_czi(czi, pixels, channel_names=["DAPI"], pixel_size_um=(0.2, 0.2, 1.0))
    data_file = inspected(draft, czi.read_bytes(), "renamed.tif")
    assert data_file.status == FileStatus.FAILED
    assert "its contents are a Zeiss CZI file, not TIFF" in data_file.failure_message


def test_files_that_are_what_they_claim_are_inspected(draft: Submission, tmp_path: Path) -> None:
    ome = inspected(draft, ome_tiff_bytes(tmp_path), "cells.ome.tif")
    plain_path = tmp_path / "plain.tif"
    tifffile.imwrite(plain_path, np.zeros((32, 48), dtype=np.uint8))
    plain = inspected(draft, plain_path.read_bytes(), "plain.TIFF")
    for data_file in (ome, plain):
        assert data_file.status == FileStatus.INSPECTED, data_file.failure_message
        assert data_file.inspection["series"]


def test_names_that_claim_no_image_format_stay_attachments(draft: Submission) -> None:
    for name, content in (("download.html", HTML), ("results.pdf", PDF)):
        data_file = inspected(draft, content, name)
        assert data_file.status == FileStatus.INSPECTED
        assert data_file.inspection["attachment"] is True
