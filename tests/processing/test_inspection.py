"""A verified file is inspected: what it holds shows in the file list and fills empty
REMBI acquisition fields; an unreadable file is flagged with a reason the researcher can act on."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from submissions.accounts.models import User
from submissions.core import dispatch
from submissions.lifecycle.models import SubmissionStatus
from submissions.processing.inspection import fill_empty_acquisition_fields, inspect_data_file
from submissions.rembi import services as rembi
from submissions.uploads.models import FileStatus
from tests.factories import complete_rembi
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes


@pytest.mark.django_db
def test_a_verified_image_is_inspected_and_fills_empty_acquisition_fields(
    researcher: User, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    written = complete_rembi()
    written["acquisitions"][0]["parameters"] = ""
    written["acquisitions"].append({**written["acquisitions"][0], "key": "widefield"})
    written["acquisitions"][1]["parameters"] = "20x/0.8 air, 10 ms"
    submission = make_submission(
        researcher=researcher, status=SubmissionStatus.DRAFT, metadata=written
    )
    data_file = add_file(submission, ome_tiff_bytes(tmp_path))
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.inspect_file(file_id=data_file.pk)

    data_file.refresh_from_db()
    assert data_file.status == FileStatus.INSPECTED
    (series,) = data_file.inspection["series"]
    assert series["sizes"] == {"T": 1, "C": 2, "Z": 3, "Y": 70, "X": 90}
    assert series["pixel_type"] == "uint16"
    assert series["channel_names"] == ["DAPI", "GFP"]
    assert "<OME" in data_file.inspection["ome_xml"]
    submission.refresh_from_db()
    filled, kept = submission.metadata["acquisitions"]
    assert "Pixel type: uint16" in filled["parameters"]
    assert "Dimensions: T 1 x C 2 x Z 3 x Y 70 x X 90" in filled["parameters"]
    assert "Channels: DAPI, GFP" in filled["parameters"]
    assert "Physical pixel size: 0.2 x 0.2 x 1" in filled["parameters"]
    assert kept["parameters"] == "20x/0.8 air, 10 ms"  # what the researcher wrote stays
    # The filled document is still a REMBI document the researcher can submit.
    assert rembi.problems(submission.metadata) == {}


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_kept_as_an_attachment(researcher: User) -> None:
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, b"just some notes, not an image\n" * 10, name="notes.txt")
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    assert data_file.status == FileStatus.INSPECTED
    assert data_file.inspection["attachment"] is True
    assert "notes.txt" in data_file.inspection["note"]  # names the file the researcher knows


@pytest.mark.django_db
def test_a_corrupt_image_fails_with_a_reason(researcher: User) -> None:
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, b"II*\x00" + b"\xff" * 4000, name="cells.tif")
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    assert data_file.status == FileStatus.FAILED
    assert data_file.failure_code
    assert "cells.tif" in data_file.failure_message  # names the file the researcher knows
    assert str(data_file.pk) not in data_file.failure_message
    submission.refresh_from_db()
    assert submission.has_failed_files  # curators' "has failures" filter finds it


@pytest.mark.django_db
def test_inspecting_twice_does_nothing_twice(researcher: User, tmp_path: Path) -> None:
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, ome_tiff_bytes(tmp_path))
    inspect_data_file(file_id=str(data_file.pk))
    data_file.refresh_from_db()
    first = data_file.inspection
    inspect_data_file(file_id=str(data_file.pk))
    inspect_data_file(file_id=str(uuid.uuid4()))  # deleted meanwhile
    data_file.refresh_from_db()
    assert data_file.inspection == first


@pytest.mark.parametrize("metadata", [{}, {"acquisitions": None}, {"acquisitions": []}])
def test_a_description_without_acquisitions_gets_one_to_complete(metadata: dict) -> None:
    filled = fill_empty_acquisition_fields(metadata, INSPECTION)
    (acquisition,) = filled["acquisitions"]
    assert acquisition["parameters"].splitlines() == [
        "Image format: OME-TIFF",
        "Dimensions: T 1 x C 1 x Z 1 x Y 5 x X 5",
        "Pixel type: uint8",
    ]
    assert rembi.clean(filled)[1] == {}  # a valid (if incomplete) draft
    assert fill_empty_acquisition_fields(metadata, {"series": []}) == metadata


@pytest.mark.parametrize("metadata", [{"acquisitions": "odd"}, {"acquisitions": ["odd"]}])
def test_an_odd_draft_is_left_alone(metadata: dict) -> None:
    assert fill_empty_acquisition_fields(metadata, INSPECTION) == metadata


INSPECTION = {
    "format_name": "OME-TIFF",
    "series": [{"sizes": {"T": 1, "C": 1, "Z": 1, "Y": 5, "X": 5}, "pixel_type": "uint8"}],
}
