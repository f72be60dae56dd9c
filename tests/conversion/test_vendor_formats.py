"""Zeiss CZI and Leica LIF (and, by the same code, Nikon ND2) through bioio, with no
Bio-Formats installed: inspection describes the file and the built-in converter writes it.

CZI files are written with pylibCZIrw, Zeiss's library; LIF files by a minimal writer in
conftest (no library writes LIF). ND2 has no writer and no sample file can be fetched here,
so only its detection is tested.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from submissions.conversion.builtin import convert
from submissions.conversion.builtin.sources import open_source
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import detect_format
from submissions.conversion.inspect import inspect_file
from submissions.conversion.preview import make_preview
from submissions.conversion.runner import convert_file
from submissions.conversion.validate import validate_output
from tests.conversion.conftest import image_attrs, random_image, read_level, write_czi, write_lif


def test_czi_inspection_reports_sizes_pixel_type_channels_and_scaling(
    czi_stack: tuple[Path, np.ndarray],
) -> None:
    path, _ = czi_stack

    result = inspect_file(path=path)

    assert result.format_name == "Zeiss CZI"
    assert not result.needs_bioformats
    [series] = result.series
    assert series.sizes == {"T": 1, "C": 2, "Z": 3, "Y": 300, "X": 280}
    assert series.pixel_type == "uint16"
    assert series.channel_names == ["DAPI", "GFP"]
    physical = series.physical_sizes
    assert physical["x"] == pytest.approx(0.25)
    assert physical["y"] == pytest.approx(0.25)
    assert physical["z"] == pytest.approx(1.5)
    assert physical["unit"] == "micrometer"


def test_czi_converts_to_valid_ome_zarr_with_the_same_pixels(
    tmp_path: Path, czi_stack: tuple[Path, np.ndarray]
) -> None:
    path, data = czi_stack
    output = tmp_path / "stack.ome.zarr"

    convert(input_path=path, output=output, max_workers=2)

    report = validate_output(path=output)
    assert report.series[0].shape == [1, 2, 3, 300, 280]
    np.testing.assert_array_equal(read_level(output)[0], data)
    [multiscale] = image_attrs(output)["multiscales"]
    scale = multiscale["datasets"][0]["coordinateTransformations"][0]["scale"]
    assert scale[2:] == pytest.approx([1.5, 0.25, 0.25])
    assert [axis.get("unit") for axis in multiscale["axes"][2:]] == ["micrometer"] * 3
    ome_xml = (output / "OME" / "METADATA.ome.xml").read_text()
    assert 'Name="DAPI"' in ome_xml
    assert 'PhysicalSizeXUnit="µm"' in ome_xml


def test_czi_conversion_in_a_child_process_records_provenance(
    tmp_path: Path, czi_stack: tuple[Path, np.ndarray]
) -> None:
    path, data = czi_stack
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    output = tmp_path / "out.ome.zarr"

    result = convert_file(
        input_path=path, output_path=output, scratch_dir=scratch, timeout_s=120, max_workers=2
    )

    assert result.converter == "aperture-builtin"
    assert result.validation["series"][0]["shape"] == [1, 2, 3, 300, 280]
    np.testing.assert_array_equal(read_level(output)[0], data)


def _two_scene_czi(path: Path, first: np.ndarray, second: np.ndarray) -> Path:
    from pylibCZIrw import czi as pyczi

    with pyczi.create_czi(str(path), exist_ok=True) as writer:
        writer.write(first[..., np.newaxis], plane={"T": 0, "C": 0, "Z": 0}, scene=0)
        writer.write(
            second[..., np.newaxis], plane={"T": 0, "C": 0, "Z": 0}, scene=1, location=(100, 0)
        )
    return path


def _list_scenes(path: Path, names: list[str]) -> None:
    """Name the scenes in the metadata, as ZEN does (pylibCZIrw's writer leaves them out)."""
    from pylibCZIrw import czi as pyczi

    scenes = "".join(f'<Scene Index="{i}" Name="{name}"/>' for i, name in enumerate(names))
    with pyczi.edit_czi(str(path)) as editor, editor.edit_session() as metadata:
        xml = metadata.get_xml()
        metadata.set_xml(
            xml.replace("<Dimensions>", f"<Dimensions><S><Scenes>{scenes}</Scenes></S>", 1)
        )


def test_a_czi_with_several_scenes_becomes_one_image_per_scene(tmp_path: Path) -> None:
    first = random_image((40, 50), "uint8", seed=1)
    second = random_image((40, 50), "uint8", seed=2)
    path = _two_scene_czi(tmp_path / "scenes.czi", first, second)
    _list_scenes(path, ["left well", "right well"])
    output = tmp_path / "scenes.ome.zarr"

    convert(input_path=path, output=output)

    assert len(validate_output(path=output).series) == 2
    np.testing.assert_array_equal(read_level(output, series=0)[0, 0, 0], first)
    np.testing.assert_array_equal(read_level(output, series=1)[0, 0, 0], second)
    assert [s.name for s in inspect_file(path=path).series] == ["left well", "right well"]


def test_a_czi_whose_metadata_hides_scenes_is_refused_not_cut_short(tmp_path: Path) -> None:
    image = random_image((40, 50), "uint8")
    path = _two_scene_czi(tmp_path / "unlisted.czi", image, image)

    with pytest.raises(UserFileError) as caught:
        convert(input_path=path, output=tmp_path / "out.ome.zarr")

    assert caught.value.code == "unsupported_layout"
    assert "holds 2 scenes" in caught.value.message
    assert not (tmp_path / "out.ome.zarr").exists()


def test_czi_preview_shows_its_pixels(tmp_path: Path) -> None:
    plane = np.zeros((200, 300), dtype=np.uint16)
    plane[80:120, 130:170] = 4000  # a bright square in the middle of a dark plane
    path = write_czi(
        tmp_path / "square.czi", plane[None, None], channel_names=["DAPI"], pixel_size_um=(1, 1, 1)
    )

    with open_source(path=path) as source:
        png = make_preview(source=source, max_size=150)

    assert png is not None
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    assert image.shape == (100, 150)  # longer side 150, aspect kept
    assert image[50, 75] > 200
    assert image[5, 5] < 30


def test_a_large_czi_plane_read_in_row_bands_keeps_every_pixel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, czi_stack: tuple[Path, np.ndarray]
) -> None:
    # The limit is lowered so these planes take the band-by-band path of large planes.
    monkeypatch.setattr("submissions.conversion.builtin.converter.WHOLE_PLANE_LIMIT_BYTES", 1024)
    path, data = czi_stack
    output = tmp_path / "bands.ome.zarr"

    convert(input_path=path, output=output, tile_width=64, tile_height=64, max_workers=2)

    np.testing.assert_array_equal(read_level(output)[0], data)
    assert validate_output(path=output).series[0].levels == 2


def test_an_rgb_czi_is_refused_with_a_way_forward(tmp_path: Path) -> None:
    from pylibCZIrw import czi as pyczi

    path = tmp_path / "slide.czi"
    with pyczi.create_czi(str(path), exist_ok=True) as writer:
        writer.write(random_image((40, 50, 3), "uint8"), plane={"T": 0, "C": 0, "Z": 0})

    with pytest.raises(UserFileError) as caught:
        inspect_file(path=path)

    assert caught.value.code == "unsupported_pixel_type"
    assert "slide.czi" in caught.value.message
    assert "OME-TIFF" in caught.value.message


def test_a_damaged_czi_fails_with_a_message_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.czi"
    path.write_bytes(b"ZISRAWFILE" + b"\x00" * 100)

    with pytest.raises(UserFileError) as caught:
        inspect_file(path=path)

    assert caught.value.code == "corrupt_file"
    assert "scan.czi" in caught.value.message
    assert "Zeiss CZI" in caught.value.message


def test_vendor_magics_name_the_bioio_reader(tmp_path: Path) -> None:
    nd2 = tmp_path / "a.nd2"
    nd2.write_bytes(b"\xda\xce\xbe\x0a" + b"\x00" * 60)
    lif = tmp_path / "a.lif"
    lif.write_bytes(b"\x70\x00\x00\x00\x10\x00\x00\x00\x2a" + b"\x00" * 60)
    ims = tmp_path / "a.ims"
    ims.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 60)

    assert detect_format(path=nd2).bioio_plugin == "nd2"
    assert detect_format(path=lif).bioio_plugin == "lif"
    hdf5 = detect_format(path=ims)
    assert hdf5.bioio_plugin is None
    assert hdf5.bioformats_only


def test_a_format_nothing_here_reads_still_needs_bioformats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without Bio-Formats (no jar): bioformats2raw must read it at conversion.
    monkeypatch.setenv("BIOFORMATS_JAR", str(tmp_path / "no-bioformats.jar"))
    path = tmp_path / "volume.ims"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)

    result = inspect_file(path=path)
    assert result.needs_bioformats
    with pytest.raises(UserFileError) as caught:
        convert(input_path=path, output=tmp_path / "out.ome.zarr")
    assert caught.value.code == "unsupported_format"
    assert "Bio-Formats" in caught.value.message


def test_lif_inspects_and_converts_with_the_same_pixels(tmp_path: Path) -> None:
    data = random_image((3, 2, 60, 80), "uint16", seed=9)  # ZCYX
    path = write_lif(
        tmp_path / "stack.lif",
        data,
        channel_names=["Red", "Green"],
        pixel_size_um=(1.5, 0.25, 0.25),
    )

    result = inspect_file(path=path)
    [series] = result.series
    assert result.format_name == "Leica LIF"
    assert series.sizes == {"T": 1, "C": 2, "Z": 3, "Y": 60, "X": 80}
    assert series.physical_sizes["x"] == pytest.approx(0.25)
    assert series.physical_sizes["z"] == pytest.approx(1.5)
    output = tmp_path / "stack.ome.zarr"
    convert(input_path=path, output=output)

    assert validate_output(path=output).series[0].shape == [1, 2, 3, 60, 80]
    np.testing.assert_array_equal(read_level(output)[0], data.transpose(1, 0, 2, 3))
