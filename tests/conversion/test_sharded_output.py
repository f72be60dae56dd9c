"""NGFF 0.5 output is sharded by default: few objects, every pixel readable by zarr-python,
valid for ome-zarr-models (validate_output runs it); NGFF 0.4 stays available."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr

from submissions.conversion.builtin import convert
from submissions.conversion.builtin.writer import shard_shape_for
from submissions.conversion.validate import validate_output
from tests.conversion.conftest import random_image, read_level


def _objects(output: Path) -> list[str]:
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file())


def _stack(tmp_path: Path, shape: tuple[int, ...] = (3, 5, 300, 260)) -> tuple[Path, np.ndarray]:
    data = random_image(shape, "uint16", seed=3)
    source = tmp_path / "stack.ome.tif"
    tifffile.imwrite(source, data, ome=True, metadata={"axes": "CZYX"})
    return source, data


def test_default_is_one_shard_per_level_for_a_small_image(tmp_path: Path) -> None:
    source, data = _stack(tmp_path)
    output = tmp_path / "out.ome.zarr"

    convert(input_path=source, output=output, tile_width=64, tile_height=64, max_workers=4)

    report = validate_output(path=output)  # ome-zarr-models' v05 Image, and decoding
    assert report.ngff_version == "0.5"
    levels = report.series[0].levels
    array = json.loads((output / "0" / "0" / "zarr.json").read_text())
    (codec,) = array["codecs"]
    assert codec["name"] == "sharding_indexed"
    assert codec["configuration"]["chunk_shape"] == [1, 1, 1, 64, 64]
    shards = [key for key in _objects(output) if "/c/" in key]
    assert len(shards) == levels  # 3 channels x 5 planes x 20 chunks in one object per level
    # Metadata: root, OME group, OME-XML, image group, and one document per level.
    assert report.object_count == levels + 4 + levels
    np.testing.assert_array_equal(read_level(output)[0], data)


def test_explicit_shard_shape_splits_the_array(tmp_path: Path) -> None:
    source, data = _stack(tmp_path)
    output = tmp_path / "out.ome.zarr"

    convert(
        input_path=source,
        output=output,
        tile_width=64,
        tile_height=64,
        shard_shape=(1, 1, 2, 128, 256),
        resolutions=2,
        max_workers=4,
    )

    validate_output(path=output)
    level0 = sorted(key for key in _objects(output) if key.startswith("0/0/c/"))
    # 3 channels x ceil(5/2) z x ceil(300/128) y x ceil(260/256) x shards.
    assert len(level0) == 3 * 3 * 3 * 2
    array = zarr.open_array(str(output / "0" / "0"), mode="r")
    assert array.shards == (1, 1, 2, 128, 256)
    np.testing.assert_array_equal(np.asarray(array[0]), data)
    np.testing.assert_array_equal(np.asarray(array[0, 2, 4, 250:, 200:]), data[2, 4, 250:, 200:])


def test_shard_bytes_zero_writes_one_object_per_chunk(tmp_path: Path) -> None:
    source, data = _stack(tmp_path, shape=(1, 2, 130, 70))
    output = tmp_path / "out.ome.zarr"

    convert(input_path=source, output=output, tile_width=64, tile_height=64, shard_bytes=0)

    level0 = [key for key in _objects(output) if key.startswith("0/0/c/")]
    assert len(level0) == 2 * 3 * 2  # z x chunk rows x chunk columns
    assert "codecs" in json.loads((output / "0" / "0" / "zarr.json").read_text())
    assert zarr.open_array(str(output / "0" / "0"), mode="r").shards is None
    np.testing.assert_array_equal(read_level(output)[0], data)


def test_ngff_04_stays_available_unsharded(tmp_path: Path) -> None:
    source, data = _stack(tmp_path, shape=(2, 1, 100, 90))
    output = tmp_path / "out.ome.zarr"

    convert(input_path=source, output=output, ngff_version="0.4", tile_width=64, tile_height=64)

    assert validate_output(path=output).ngff_version == "0.4"
    assert (output / "0" / "0" / ".zarray").is_file()
    assert (output / "0" / "0" / "0" / "1" / "0" / "1" / "1").is_file()  # t/c/z/y/x
    np.testing.assert_array_equal(read_level(output)[0], data)


def test_damaged_shard_index_fails_validation(tmp_path: Path) -> None:
    source, _ = _stack(tmp_path, shape=(1, 1, 64, 64))
    output = tmp_path / "out.ome.zarr"
    convert(input_path=source, output=output, tile_width=32, tile_height=32)
    shard = output / "0" / "0" / "c" / "0" / "0" / "0" / "0" / "0"
    raw = bytearray(shard.read_bytes())
    raw[-10] ^= 0xFF  # inside the index: its CRC32C no longer matches
    shard.write_bytes(bytes(raw))

    from submissions.conversion.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        validate_output(path=output)
    assert caught.value.code == "invalid_output"


def test_default_shards_hold_about_a_gibibyte() -> None:
    # 2048x2048 uint16 planes, 2 channels x 64 z (1 GiB): whole planes, then all of z.
    shape = (1, 2, 64, 2048, 2048)
    chunks = (1, 1, 1, 1024, 1024)
    shards = shard_shape_for(shape=shape, chunks=chunks, itemsize=2, shard_bytes=2**30)
    assert shards == (1, 2, 64, 2048, 2048)
    # A 100k-pixel-wide plane: full-width strips of rows, about 1 GiB each.
    wide = shard_shape_for(
        shape=(1, 1, 1, 100_000, 100_000), chunks=chunks, itemsize=2, shard_bytes=2**30
    )
    assert wide is not None
    assert wide[-1] == 98 * 1024
    assert 0.5 * 2**30 <= np.prod(wide) * 2 <= 2**30
    assert shard_shape_for(shape=shape, chunks=chunks, itemsize=2, shard_bytes=0) is None


def test_command_line_takes_shard_options(tmp_path: Path) -> None:
    source, data = _stack(tmp_path, shape=(1, 2, 70, 70))
    output = tmp_path / "cli.ome.zarr"
    command = [sys.executable, "-m", "submissions.conversion.cli", "convert", str(source)]

    subprocess.run(
        [*command, str(output), "-w", "32", "-h", "32", "--shard-shape", "1,1,1,64,64"],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    refused = subprocess.run(
        [*command, str(tmp_path / "x.zarr"), "--shard-shape", "1,2,3"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert zarr.open_array(str(output / "0" / "0"), mode="r").shards == (1, 1, 1, 64, 64)
    np.testing.assert_array_equal(read_level(output)[0], data)
    assert refused.returncode == 2
    assert "T,C,Z,Y,X" in refused.stderr


def test_a_killed_converters_partial_output_is_removed_by_the_next_run(tmp_path: Path) -> None:
    source, data = _stack(tmp_path, shape=(1, 1, 40, 40))
    output = tmp_path / "out.ome.zarr"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f".out.ome.zarr.partial-{dead.pid}"
    (abandoned / "0").mkdir(parents=True)
    alive = tmp_path / f".out.ome.zarr.partial-{os.getppid()}"  # a running process's
    alive.mkdir()

    convert(input_path=source, output=output)

    assert not abandoned.exists()
    assert alive.exists()
    np.testing.assert_array_equal(read_level(output)[0], data)
