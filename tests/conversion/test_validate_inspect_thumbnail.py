"""Validation catches broken outputs; inspection describes files and flags bad ones."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from submissions.conversion.builtin import convert
from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.inspect import inspect_file
from submissions.conversion.thumbnail import make_thumbnail
from submissions.conversion.validate import validate_output


@pytest.fixture
def small_tiff(tmp_path: Path) -> Path:
    path = tmp_path / "small.tif"
    data = np.arange(2 * 3 * 40 * 60, dtype=np.uint16).reshape(2, 3, 40, 60)
    tifffile.imwrite(path, data, metadata={"axes": "ZCYX"}, ome=True, photometric="minisblack")
    return path


@pytest.mark.parametrize("ngff_version", ["0.4", "0.5"])
def test_both_ngff_versions_validate(tmp_path: Path, small_tiff: Path, ngff_version: str) -> None:
    output = tmp_path / "out.ome.zarr"
    convert(input_path=small_tiff, output=output, ngff_version=ngff_version)

    report = validate_output(path=output)

    assert report.ngff_version == ngff_version
    assert report.series[0].shape == [1, 3, 2, 40, 60]
    assert report.series[0].dtype == "uint16"
    assert report.object_count > 0
    assert report.total_bytes > 0
    marker = "zarr.json" if ngff_version == "0.5" else ".zattrs"
    assert (output / marker).is_file()


def test_validation_rejects_missing_level_array(tmp_path: Path, small_tiff: Path) -> None:
    output = tmp_path / "out.ome.zarr"
    convert(input_path=small_tiff, output=output, resolutions=2)
    shutil.rmtree(output / "0" / "1")

    with pytest.raises(ApplicationError) as caught:
        validate_output(path=output)

    assert caught.value.code == "invalid_output"
    assert "series 0" in caught.value.details


def test_validation_rejects_missing_layout_and_ome_xml(tmp_path: Path, small_tiff: Path) -> None:
    output = tmp_path / "out.ome.zarr"
    convert(input_path=small_tiff, output=output)
    root = output / "zarr.json"
    document = json.loads(root.read_text())
    del document["attributes"]["ome"]["bioformats2raw.layout"]
    root.write_text(json.dumps(document))
    (output / "OME" / "METADATA.ome.xml").unlink()

    with pytest.raises(ApplicationError) as caught:
        validate_output(path=output)

    assert "bioformats2raw.layout" in caught.value.details
    assert "METADATA.ome.xml" in caught.value.details


def test_validation_rejects_a_series_list_that_is_not_a_list(
    tmp_path: Path, small_tiff: Path
) -> None:
    output = tmp_path / "out.ome.zarr"
    convert(input_path=small_tiff, output=output)
    ome_group = output / "OME" / "zarr.json"
    document = json.loads(ome_group.read_text())
    # A string would otherwise be read character by character as series "0".
    document["attributes"]["ome"]["series"] = "0"
    ome_group.write_text(json.dumps(document))

    with pytest.raises(ApplicationError) as caught:
        validate_output(path=output)

    assert "OME group: series is str, expected a list" in caught.value.details


def test_validation_rejects_a_non_zarr_directory(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match="invalid_output"):
        validate_output(path=tmp_path)


def test_inspect_ome_tiff_reports_series_sizes_and_channels(
    ome_tiff_5d: tuple[Path, np.ndarray],
) -> None:
    path, _ = ome_tiff_5d

    result = inspect_file(path=path)

    assert result.format_name == "OME-TIFF"
    (series,) = result.series
    assert series.sizes == {"T": 2, "C": 3, "Z": 4, "Y": 300, "X": 280}
    assert series.pixel_type == "uint16"
    assert series.channel_names == ["DAPI", "GFP", "RFP"]
    assert series.physical_sizes["x"] == 0.25
    assert series.physical_sizes["z"] == 1.5
    assert series.physical_sizes["unit"] == "micrometer"
    assert result.ome_xml is not None
    assert json.loads(json.dumps(result.as_dict()))["series"][0]["sizes"]["C"] == 3


def test_inspect_imagej_and_plain_tiff(tmp_path: Path) -> None:
    imagej = tmp_path / "stack.tif"
    tifffile.imwrite(
        imagej,
        np.zeros((5, 2, 32, 32), np.uint8),
        imagej=True,
        resolution=(4.0, 4.0),
        metadata={"axes": "ZCYX", "spacing": 3.0, "unit": "um"},
    )
    plain = tmp_path / "plain.dat"  # the extension must not matter
    tifffile.imwrite(plain, np.zeros((16, 24), np.float32))

    stack = inspect_file(path=imagej)
    single = inspect_file(path=plain)

    assert stack.format_name == "ImageJ TIFF"
    assert stack.series[0].sizes == {"T": 1, "C": 2, "Z": 5, "Y": 32, "X": 32}
    assert stack.series[0].physical_sizes["x"] == pytest.approx(0.25)
    assert stack.series[0].physical_sizes["z"] == pytest.approx(3.0)
    assert single.format_name == "TIFF"
    assert single.series[0].pixel_type == "float32"
    assert single.ome_xml is None


def test_png_is_flagged_as_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "cells.tif"  # a PNG under a TIFF name
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(path, format="PNG")

    with pytest.raises(UserFileError) as caught:
        inspect_file(path=path)

    assert caught.value.code == "unsupported_format"
    assert "PNG" in caught.value.message
    assert "OME-TIFF" in caught.value.message


def test_corrupt_tiff_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "broken.tif"
    path.write_bytes(b"II*\x00" + b"\xff" * 60)

    with pytest.raises(UserFileError) as caught:
        inspect_file(path=path)

    assert caught.value.code == "corrupt_file"


def test_empty_and_vendor_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without Bio-Formats here (no jar), a DICOM waits for the conversion worker's
    # bioformats2raw; tests/conversion/test_bioformats.py covers the case with it.
    monkeypatch.setenv("BIOFORMATS_JAR", str(tmp_path / "no-bioformats.jar"))
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    dicom = tmp_path / "scan.dcm"
    dicom.write_bytes(b"\x00" * 128 + b"DICM" + b"\x00" * 100)

    with pytest.raises(UserFileError, match="empty_file"):
        inspect_file(path=empty)
    result = inspect_file(path=dicom)
    assert result.needs_bioformats
    assert result.format_name == "DICOM"
    assert result.series == []


def test_thumbnail_is_png_of_smallest_level(
    tmp_path: Path, ome_tiff_5d: tuple[Path, np.ndarray]
) -> None:
    source, _ = ome_tiff_5d
    output = tmp_path / "out.ome.zarr"
    convert(input_path=source, output=output)

    png = make_thumbnail(zarr_path=output, max_size=100)

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.mode == "RGB"
    assert max(image.size) <= 100
    assert np.asarray(image).std() > 0


def test_thumbnail_of_single_channel_is_grayscale(tmp_path: Path) -> None:
    source = tmp_path / "gray.tif"
    tifffile.imwrite(source, np.tile(np.arange(64, dtype=np.uint16), (32, 1)))
    output = tmp_path / "gray.ome.zarr"
    convert(input_path=source, output=output)

    image = Image.open(io.BytesIO(make_thumbnail(zarr_path=output)))

    assert image.mode == "L"
    assert image.size == (64, 32)
