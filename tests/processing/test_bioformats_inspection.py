"""A file only Bio-Formats reads is inspected by showinf from wherever it is stored (folder or
S3: a scratch copy, removed after) and its series show on the files page like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

from submissions.accounts.models import User
from submissions.conversion import bioformats
from submissions.lifecycle.models import SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.uploads.models import FileStatus
from tests.conftest import signed_in
from tests.processing.conftest import add_file, make_submission


def ics_bytes(tmp_path: Path) -> bytes:
    tools = bioformats.find_tools()
    assert tools is not None, "Java and the Bio-Formats jar are needed (make install)"
    source = tmp_path / "source.ome.tif"
    data = np.random.default_rng(5).integers(0, 4000, size=(3, 2, 40, 50), dtype=np.uint16)
    tifffile.imwrite(source, data, ome=True, photometric="minisblack", metadata={"axes": "CZYX"})
    target = tmp_path / "nuclei.ics"
    args = bioformats.java_args(
        tools,
        main_class="loci.formats.tools.ImageConverter",
        scratch_dir=tmp_path,
        memory_limit_bytes=2**30,
    )
    import subprocess

    subprocess.run(
        [*args, "-no-upgrade", str(source), str(target)], check=True, capture_output=True
    )
    return target.read_bytes()


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["folder", "s3"])
def test_an_ics_upload_is_inspected_by_bioformats(
    researcher: User, tmp_path: Path, settings: Any, where: str, request: pytest.FixtureRequest
) -> None:
    if where == "s3":
        request.getfixturevalue("s3_staging")
    settings.CONVERSION_SCRATCH_DIR = tmp_path / "scratch"
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, ics_bytes(tmp_path), name="nuclei.ics")

    inspect_data_file(file_id=str(data_file.pk))

    data_file.refresh_from_db()
    assert data_file.status == FileStatus.INSPECTED, data_file.failure_message
    assert data_file.inspection["format_name"] == "Image Cytometry Standard"
    assert data_file.inspection["reader"] == "Bio-Formats 7.3.1"
    (series,) = data_file.inspection["series"]
    assert series["sizes"] == {"T": 1, "C": 3, "Z": 2, "Y": 40, "X": 50}
    assert list((tmp_path / "scratch").iterdir()) == []  # the scratch copy is gone
    page = signed_in(researcher).get(f"/submissions/{submission.pk}/files/")
    assert "Image Cytometry Standard · 1 series" in page.content.decode()


@pytest.mark.django_db
def test_a_csv_of_results_is_kept_as_an_attachment(researcher: User, settings: Any) -> None:
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, b"cell,area\n1,20.5\n", name="measurements.csv")

    inspect_data_file(file_id=str(data_file.pk))

    data_file.refresh_from_db()
    assert data_file.status == FileStatus.INSPECTED
    assert data_file.inspection["attachment"] is True
