"""The NGFF metadata says only what the file says, and carries "omero" display settings.

Reference for "omero": bioformats2raw's Converter.java (setSeriesLevelMetadata: active for
the first three channels, coefficient 1, family "linear", label, colour, window start/end
and min/max from the data; rdefs defaultT 0, defaultZ = sizeZ / 2, model "color" for 2-7
channels) and Colors.java (getColor: the file's colour, grey for one channel (white here, so the
window's top shows at full brightness), then blue / green / red by wavelength, then red,
green, blue by index; labels "Channel N" count from 1 here, from 0 there); NGFF 0.5 "omero" section
(https://ngff.openmicroscopy.org/0.5/#omero-md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion.builtin import convert
from tests.conversion.conftest import image_attrs, random_image


def _axes(output: Path) -> dict[str, dict]:
    return {axis["name"]: axis for axis in image_attrs(output)["multiscales"][0]["axes"]}


def _scale(output: Path, level: int = 0) -> list[float]:
    datasets = image_attrs(output)["multiscales"][0]["datasets"]
    return datasets[level]["coordinateTransformations"][0]["scale"]


@pytest.mark.parametrize("ngff_version", ["0.4", "0.5"])
def test_plain_tiff_without_calibration_gets_no_unit(tmp_path: Path, ngff_version: str) -> None:
    data = random_image((300, 200), "uint16")
    source = tmp_path / "plain.tif"
    tifffile.imwrite(source, data)
    output = tmp_path / "plain.ome.zarr"

    convert(input_path=source, output=output, ngff_version=ngff_version)

    axes = _axes(output)
    assert all("unit" not in axis for axis in axes.values()), axes
    assert _scale(output) == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert _scale(output, level=1)[3:] == [2.0, 2.0]  # pixels of level 0, not micrometres


def test_ome_tiff_without_physical_size_gets_no_unit(tmp_path: Path) -> None:
    # OME-XML's unit attributes default to µm, but only a PhysicalSize makes a calibration.
    data = random_image((2, 50, 40), "uint8")
    source = tmp_path / "uncalibrated.ome.tif"
    tifffile.imwrite(source, data, ome=True, metadata={"axes": "ZYX"})
    assert "PhysicalSizeX" not in tifffile.TiffFile(source).ome_metadata
    output = tmp_path / "uncalibrated.ome.zarr"

    convert(input_path=source, output=output)

    assert all("unit" not in axis for axis in _axes(output).values())


def test_calibrated_ome_tiff_keeps_its_sizes_and_units(
    tmp_path: Path, ome_tiff_5d: tuple[Path, np.ndarray]
) -> None:
    source, _ = ome_tiff_5d
    output = tmp_path / "five_d.ome.zarr"

    convert(input_path=source, output=output)

    axes = _axes(output)
    assert axes["x"]["unit"] == axes["y"]["unit"] == axes["z"]["unit"] == "micrometer"
    assert axes["t"]["unit"] == "second"
    assert "unit" not in axes["c"]
    assert _scale(output) == pytest.approx([2.0, 1.0, 1.5, 0.3, 0.25])


def test_imagej_tiff_calibration_only_with_a_real_unit(tmp_path: Path) -> None:
    data = random_image((3, 40, 30), "uint8")
    calibrated, uncalibrated = tmp_path / "um.tif", tmp_path / "pixel.tif"
    tifffile.imwrite(
        calibrated,
        data,
        imagej=True,
        resolution=(1 / 0.2, 1 / 0.2),
        metadata={"axes": "ZYX", "spacing": 0.7, "unit": "um"},
    )
    tifffile.imwrite(uncalibrated, data, imagej=True, metadata={"axes": "ZYX", "unit": "pixel"})

    convert(input_path=calibrated, output=tmp_path / "um.ome.zarr")
    convert(input_path=uncalibrated, output=tmp_path / "pixel.ome.zarr")

    assert _axes(tmp_path / "um.ome.zarr")["x"]["unit"] == "micrometer"
    assert _scale(tmp_path / "um.ome.zarr")[2:] == pytest.approx([0.7, 0.2, 0.2])
    assert all("unit" not in axis for axis in _axes(tmp_path / "pixel.ome.zarr").values())


def test_omero_windows_are_each_channels_data_range(
    tmp_path: Path, ome_tiff_5d: tuple[Path, np.ndarray]
) -> None:
    source, data = ome_tiff_5d  # T=2, C=3 (DAPI, GFP, RFP), Z=4, no colours in the file
    output = tmp_path / "five_d.ome.zarr"

    convert(input_path=source, output=output, max_workers=3)

    omero = image_attrs(output)["omero"]
    labels = [channel["label"] for channel in omero["channels"]]
    assert labels == ["DAPI", "GFP", "RFP"]
    assert [channel["color"] for channel in omero["channels"]] == ["FF0000", "00FF00", "0000FF"]
    for c, channel in enumerate(omero["channels"]):
        low, high = int(data[:, c].min()), int(data[:, c].max())
        assert channel["window"] == {"start": low, "end": high, "min": low, "max": high}
        assert channel["active"] is True
        assert (channel["family"], channel["coefficient"], channel["inverted"]) == (
            "linear",
            1,
            False,
        )
    assert omero["rdefs"] == {"defaultT": 0, "defaultZ": 2, "model": "color"}


def test_omero_for_a_single_channel_is_white_with_a_numbered_label(tmp_path: Path) -> None:
    data = np.full((64, 64), 1000, dtype=np.uint16)
    data[10:20, 10:20] = 3000
    source = tmp_path / "one.tif"
    tifffile.imwrite(source, data)
    output = tmp_path / "one.ome.zarr"

    convert(input_path=source, output=output, ngff_version="0.4")

    omero = image_attrs(output)["omero"]
    (channel,) = omero["channels"]
    assert channel["label"] == "Channel 1"
    assert channel["color"] == "FFFFFF"
    assert channel["window"] == {"start": 1000, "end": 3000, "min": 1000, "max": 3000}
    assert omero["rdefs"]["model"] == "greyscale"


def test_omero_uses_the_files_channel_colours_and_ignores_nan(tmp_path: Path) -> None:
    data = random_image((2, 30, 30), "float32")
    data[0, 0, 0] = np.nan
    data[1, 5, 5] = np.inf
    source = tmp_path / "coloured.ome.tif"
    # OME-XML Color is signed 32-bit RGBA: -16776961 is FF0000FF (red), 16711935 00FF00FF.
    tifffile.imwrite(
        source,
        data,
        ome=True,
        metadata={"axes": "CYX", "Channel": {"Name": ["a", "b"], "Color": [-16776961, 16711935]}},
    )
    output = tmp_path / "coloured.ome.zarr"

    convert(input_path=source, output=output)

    channels = image_attrs(output)["omero"]["channels"]
    assert [channel["color"] for channel in channels] == ["FF0000", "00FF00"]
    first = data[0][np.isfinite(data[0])]
    assert channels[0]["window"]["start"] == pytest.approx(float(first.min()))
    assert channels[0]["window"]["end"] == pytest.approx(float(first.max()))
    second = data[1][np.isfinite(data[1])]
    assert channels[1]["window"]["max"] == pytest.approx(float(second.max()))
