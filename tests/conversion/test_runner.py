"""convert_file: always a child process, errors sorted, output validated, provenance kept."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.runner import convert_file
from tests.conversion.conftest import read_level
from tests.conversion.standin import write_standin


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    return path


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, np.ndarray]:
    data = np.random.default_rng(3).integers(0, 4000, size=(3, 2, 200, 300), dtype=np.uint16)
    path = tmp_path / "input.ome.tif"
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata={"axes": "ZCYX"})
    return path, data


def test_builtin_conversion_in_child_process_with_provenance(
    tmp_path: Path, scratch: Path, source: tuple[Path, np.ndarray]
) -> None:
    path, data = source
    output = tmp_path / "out.ome.zarr"
    progress: list[float] = []

    result = convert_file(
        input_path=path,
        output_path=output,
        scratch_dir=scratch,
        converter="builtin",
        timeout_s=120,
        memory_limit_bytes=2 * 2**30,
        max_workers=2,
        input_sha256="ab" * 32,
        on_progress=progress.append,
    )

    np.testing.assert_array_equal(read_level(output)[0], data.transpose(1, 0, 2, 3))
    assert result.converter == "aperture-builtin"
    assert "tifffile" in result.converter_version
    assert result.args[:3] == [sys.executable, "-m", "submissions.conversion.cli"]
    assert result.input_sha256 == "ab" * 32
    assert result.output_bytes > 0
    assert result.object_count > 0
    assert result.validation["series"][0]["shape"] == [1, 2, 3, 200, 300]
    assert progress[-1] == 1.0
    assert result.as_dict()["convert_seconds"] >= 0


def test_user_file_error_crosses_the_process_boundary(tmp_path: Path, scratch: Path) -> None:
    png = tmp_path / "photo.tif"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    with pytest.raises(UserFileError) as caught:
        convert_file(
            input_path=png,
            output_path=tmp_path / "out.ome.zarr",
            scratch_dir=scratch,
            timeout_s=60,
        )

    assert caught.value.code == "unsupported_format"
    assert "PNG" in caught.value.message


def test_memory_limit_failure_is_an_application_error(
    tmp_path: Path, scratch: Path, source: tuple[Path, np.ndarray]
) -> None:
    path, _ = source

    # 64 MiB of address space cannot even hold the interpreter with numpy loaded.
    with pytest.raises(ApplicationError) as caught:
        convert_file(
            input_path=path,
            output_path=tmp_path / "out.ome.zarr",
            scratch_dir=scratch,
            timeout_s=60,
            memory_limit_bytes=64 * 2**20,
        )

    assert caught.value.code in {"out_of_memory", "converter_failed"}
    assert not (tmp_path / "out.ome.zarr").exists()


def test_time_limit_failure(tmp_path: Path, scratch: Path, source: tuple[Path, np.ndarray]) -> None:
    path, _ = source

    with pytest.raises(ApplicationError) as caught:
        convert_file(
            input_path=path,
            output_path=tmp_path / "out.ome.zarr",
            scratch_dir=scratch,
            timeout_s=0.05,
        )

    assert caught.value.code == "timeout"


def test_bioformats2raw_output_is_validated_even_after_exit_zero(
    tmp_path: Path,
    scratch: Path,
    source: tuple[Path, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stand-in for the real bioformats2raw (not installable here). Converter.convert() logs
    # "Failed to instantiate reader" and returns: exit 0, nothing written.
    standin = write_standin(tmp_path)
    monkeypatch.setenv("STANDIN_FAIL", "silent")
    path, _ = source

    with pytest.raises(ApplicationError) as caught:
        convert_file(
            input_path=path,
            output_path=tmp_path / "out.ome.zarr",
            scratch_dir=scratch,
            converter="bioformats2raw",
            bioformats2raw_path=str(standin),
            timeout_s=60,
        )

    assert caught.value.code == "converter_failed"


def test_bioformats2raw_conversion_records_its_version(
    tmp_path: Path, scratch: Path, source: tuple[Path, np.ndarray]
) -> None:
    # Stand-in for the real bioformats2raw (not installable here).
    standin = write_standin(tmp_path)
    path, _ = source
    output = tmp_path / "out.ome.zarr"

    result = convert_file(
        input_path=path,
        output_path=output,
        scratch_dir=scratch,
        converter="bioformats2raw",
        bioformats2raw_path=str(standin),
        timeout_s=60,
        ngff_version="0.4",
    )

    assert result.converter == "bioformats2raw"
    assert result.converter_version == "0.11.0"
    assert result.validation["ngff_version"] == "0.4"
    shutil.rmtree(output)
