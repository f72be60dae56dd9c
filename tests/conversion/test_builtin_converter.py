"""The built-in converter keeps every level-0 pixel and writes a valid pyramid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion.builtin import convert
from submissions.conversion.builtin.pyramid import downsample_2x2, level_shapes
from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.validate import validate_output
from tests.conversion.conftest import image_attrs, random_image, read_level


@pytest.mark.parametrize(
    ("dtype", "ngff_version", "compression"),
    [
        ("uint8", "0.5", "blosc"),
        ("uint16", "0.5", "zstd"),
        ("float32", "0.5", "none"),
        ("int16", "0.4", "blosc"),
        ("uint16", "0.4", "zstd"),
        ("float32", "0.4", "none"),
    ],
)
def test_odd_sized_plane_keeps_every_pixel(
    tmp_path: Path, dtype: str, ngff_version: str, compression: str
) -> None:
    data = random_image((1000, 777), dtype)
    source = tmp_path / "odd.tif"
    tifffile.imwrite(source, data)
    output = tmp_path / "odd.ome.zarr"

    convert(
        input_path=source,
        output=output,
        tile_width=256,
        tile_height=256,
        ngff_version=ngff_version,
        compression=compression,
    )

    level0 = read_level(output)
    assert level0.shape == (1, 1, 1, 1000, 777)
    assert level0.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(level0[0, 0, 0], data)
    shapes = [read_level(output, level=i).shape[-2:] for i in range(3)]
    assert shapes == [(1000, 777), (500, 389), (250, 195)]
    np.testing.assert_array_equal(read_level(output, level=1)[0, 0, 0], downsample_2x2(data))
    assert validate_output(path=output).ngff_version == ngff_version


def test_five_d_ome_tiff_keeps_pixels_and_physical_sizes(
    tmp_path: Path, ome_tiff_5d: tuple[Path, np.ndarray]
) -> None:
    source, data = ome_tiff_5d
    output = tmp_path / "five_d.ome.zarr"

    convert(input_path=source, output=output, max_workers=2)

    np.testing.assert_array_equal(read_level(output), data)
    multiscale = image_attrs(output)["multiscales"][0]
    assert [axis["name"] for axis in multiscale["axes"]] == ["t", "c", "z", "y", "x"]
    assert multiscale["axes"][4]["unit"] == "micrometer"
    assert multiscale["axes"][0]["unit"] == "second"
    scales = [d["coordinateTransformations"][0]["scale"] for d in multiscale["datasets"]]
    assert scales[0] == [2.0, 1.0, 1.5, 0.3, 0.25]
    assert scales[1] == [2.0, 1.0, 1.5, 0.6, 0.5]
    assert (output / "OME" / "METADATA.ome.xml").read_text().count("DAPI") == 1


def test_multi_series_file_becomes_one_image_group_per_series(tmp_path: Path) -> None:
    first = random_image((2, 64, 80), "uint16", seed=1)
    second = random_image((3, 40, 50), "uint8", seed=2)
    source = tmp_path / "multi.ome.tif"
    with tifffile.TiffWriter(source, ome=True) as tif:
        tif.write(first, metadata={"axes": "CYX"}, photometric="minisblack")
        tif.write(second, metadata={"axes": "ZYX"}, photometric="minisblack")
    output = tmp_path / "multi.ome.zarr"

    convert(input_path=source, output=output)

    np.testing.assert_array_equal(read_level(output, series=0)[0, :, 0], first)
    np.testing.assert_array_equal(read_level(output, series=1)[0, 0], second)
    report = validate_output(path=output)
    assert [s.shape for s in report.series] == [[1, 2, 1, 64, 80], [1, 1, 3, 40, 50]]


def test_imagej_hyperstack_is_reordered_to_tczyx(tmp_path: Path) -> None:
    # ImageJ stores TZCYX; the output must be TCZYX.
    data = random_image((2, 3, 2, 64, 48), "uint16")
    source = tmp_path / "stack.tif"
    tifffile.imwrite(
        source,
        data,
        imagej=True,
        resolution=(1 / 0.5, 1 / 0.5),
        metadata={"axes": "TZCYX", "spacing": 2.0, "unit": "um"},
    )
    output = tmp_path / "stack.ome.zarr"

    convert(input_path=source, output=output)

    np.testing.assert_array_equal(read_level(output), data.transpose(0, 2, 1, 3, 4))
    scale = image_attrs(output)["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]
    assert scale["scale"][2:] == pytest.approx([2.0, 0.5, 0.5])


def test_rgb_samples_become_channels(tmp_path: Path) -> None:
    data = random_image((70, 90, 3), "uint8")
    source = tmp_path / "rgb.tif"
    tifffile.imwrite(source, data, photometric="rgb")
    output = tmp_path / "rgb.ome.zarr"

    convert(input_path=source, output=output)

    np.testing.assert_array_equal(read_level(output)[0, :, 0], data.transpose(2, 0, 1))


def test_tiled_bigtiff_read_in_bands_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Force the row-band path that very large planes take.
    monkeypatch.setattr("submissions.conversion.builtin.converter.WHOLE_PLANE_LIMIT_BYTES", 1024)
    monkeypatch.setattr("submissions.conversion.builtin.tiff_planes.WHOLE_PLANE_LIMIT_BYTES", 1024)
    data = random_image((2, 600, 520), "uint16")
    source = tmp_path / "tiled.tif"
    tifffile.imwrite(source, data, bigtiff=True, tile=(128, 128), compression="zlib")
    output = tmp_path / "tiled.ome.zarr"

    convert(input_path=source, output=output, tile_width=128, tile_height=128)

    np.testing.assert_array_equal(read_level(output)[0, 0], data)
    expected_level1 = downsample_2x2(data[1])
    np.testing.assert_array_equal(read_level(output, level=1)[0, 0, 1], expected_level1)


def test_pyramid_goes_down_to_256_pixels(tmp_path: Path) -> None:
    source = tmp_path / "wide.tif"
    tifffile.imwrite(source, np.zeros((300, 2100), dtype=np.uint8))
    output = tmp_path / "wide.ome.zarr"

    convert(input_path=source, output=output, ngff_version="0.4")

    report = validate_output(path=output)
    last = report.series[0].level_shapes[-1]
    assert max(last[-2:]) <= 256
    assert max(report.series[0].level_shapes[-2][-2:]) > 256


def test_resolutions_option_sets_level_count(tmp_path: Path) -> None:
    source = tmp_path / "small.tif"
    tifffile.imwrite(source, np.ones((64, 64), dtype=np.uint16))
    output = tmp_path / "small.ome.zarr"

    convert(input_path=source, output=output, resolutions=3, compression="zstd")

    assert validate_output(path=output).series[0].levels == 3


def test_level_shapes_and_mean_downsampling() -> None:
    assert level_shapes(height=257, width=100, resolutions=None) == [(257, 100), (129, 50)]
    assert level_shapes(height=10, width=10, resolutions=2) == [(10, 10), (5, 5)]
    block = np.array([[1, 2, 9], [3, 4, 9]], dtype=np.uint8)
    # (1+2+3+4+2)//4 = 3; the odd column pairs with itself: 9.
    np.testing.assert_array_equal(downsample_2x2(block), [[3, 9]])
    assert downsample_2x2(np.full((4, 4), 65535, np.uint16)).max() == 65535


def test_existing_output_is_refused_unless_overwrite(tmp_path: Path) -> None:
    source = tmp_path / "small.tif"
    tifffile.imwrite(source, np.ones((32, 32), dtype=np.uint8))
    output = tmp_path / "out.ome.zarr"
    output.mkdir()

    with pytest.raises(ApplicationError) as caught:
        convert(input_path=source, output=output)
    assert caught.value.code == "output_exists"

    convert(input_path=source, output=output, overwrite=True)
    assert validate_output(path=output).series[0].shape == [1, 1, 1, 32, 32]


def test_truncated_file_is_a_user_error_and_leaves_no_partial_output(tmp_path: Path) -> None:
    source = tmp_path / "corrupt.tif"
    data = random_image((4, 256, 256), "uint16")
    tifffile.imwrite(source, data, photometric="minisblack")
    # Cut the file in the middle of the pixel data: the later pages' IFDs are gone too.
    source.write_bytes(source.read_bytes()[: 256 * 256 * 2 * 2])
    output = tmp_path / "out.ome.zarr"

    with pytest.raises(UserFileError) as caught:
        convert(input_path=source, output=output)

    assert caught.value.code == "truncated_file"
    assert "upload the complete file" in caught.value.message
    assert list(tmp_path.iterdir()) == [source]


def test_many_planes_converted_concurrently_stay_in_place(tmp_path: Path) -> None:
    # Regression: concurrent page reads through one file handle once returned wrong planes.
    data = random_image((64, 96, 80), "uint16", seed=7)
    source = tmp_path / "stack.tif"
    tifffile.imwrite(source, data, photometric="minisblack")
    output = tmp_path / "stack.ome.zarr"

    convert(input_path=source, output=output, max_workers=4)

    np.testing.assert_array_equal(read_level(output)[0, 0], data)


@pytest.mark.parametrize("photometric", ["minisblack", "rgb"])
def test_large_contiguous_planes_read_in_row_bands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photometric: str
) -> None:
    # A big uncompressed plane is often one strip: it must be read band by band from the
    # file, never whole (the limit is lowered so a small plane takes that path).
    monkeypatch.setattr("submissions.conversion.builtin.converter.WHOLE_PLANE_LIMIT_BYTES", 1024)
    monkeypatch.setattr("submissions.conversion.builtin.tiff_planes.WHOLE_PLANE_LIMIT_BYTES", 1024)
    shape = (2, 300, 260, 3) if photometric == "rgb" else (2, 300, 260)
    data = random_image(shape, "uint16")
    source = tmp_path / "contiguous.tif"
    tifffile.imwrite(source, data, photometric=photometric)
    output = tmp_path / "contiguous.ome.zarr"

    convert(input_path=source, output=output, tile_width=64, tile_height=64)

    expected = np.moveaxis(data, -1, 1) if photometric == "rgb" else data[:, None]
    np.testing.assert_array_equal(read_level(output)[0].transpose(1, 0, 2, 3), expected)
