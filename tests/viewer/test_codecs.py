"""The viewer decodes chunks exactly as numcodecs (c-blosc, zstd, lz4) wrote them.

The browser viewer cannot use numcodecs.js under a strict Content-Security-Policy (its
Emscripten bindings are compiled with `new Function`), so frontend/viewer/codecs.js decodes
Blosc, Zstandard and LZ4 in plain JavaScript. Here the real encoders, numcodecs' builds of
c-blosc, zstd and lz4 (the libraries zarr-python, ome-zarr-py and this project's converter
write with), encode arrays in every layout the viewer may meet, and Node runs the viewer's
decoder on the bytes: each must give back the array exactly, or a clear error.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numcodecs
import numpy as np
import pytest

DECODER = Path(__file__).with_name("decode_chunks.mjs")
ROOT = Path(__file__).resolve().parents[2]


def decode(chunks: list[tuple[str, bytes]]) -> list[dict[str, str]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; `make install` needs it too")
    payload = [{"codec": c, "data": base64.b64encode(b).decode()} for c, b in chunks]
    run = subprocess.run(
        [node, str(DECODER)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(run.stdout)


def sample(dtype: str, n: int, seed: int) -> np.ndarray:
    """Half smooth (compressible), half noise (streams stored uncompressed)."""
    rng = np.random.default_rng(seed)
    smooth = (np.arange(n // 2) // 7 % 200).astype(dtype)
    noise = rng.integers(0, 200, size=n - n // 2).astype(dtype)
    return np.concatenate([smooth, noise])


BLOSC_CASES = [
    (cname, shuffle, dtype, n, blocksize, clevel)
    for cname in ("lz4", "lz4hc", "zlib", "zstd")
    for shuffle in (numcodecs.Blosc.NOSHUFFLE, numcodecs.Blosc.SHUFFLE, numcodecs.Blosc.BITSHUFFLE)
    for dtype, n, blocksize in (
        ("uint8", 100_003, 0),  # odd length, one block
        ("uint16", 70_001, 4096),  # several blocks and a leftover block
        ("uint32", 40_000, 0),
        ("float32", 9_999, 1000),  # blocks whose element count is not a multiple of 8
        ("float64", 3, 0),  # under 128 bytes: stored as is
    )
    for clevel in (5,)
] + [("lz4", numcodecs.Blosc.SHUFFLE, "uint16", 50_000, 0, 0)]  # clevel 0: memcpyed


def test_blosc_chunks_in_every_layout_decode_exactly() -> None:
    arrays, chunks = [], []
    for i, (cname, shuffle, dtype, n, blocksize, clevel) in enumerate(BLOSC_CASES):
        array = sample(dtype, n, seed=i)
        codec = numcodecs.Blosc(cname=cname, clevel=clevel, shuffle=shuffle, blocksize=blocksize)
        arrays.append(array)
        chunks.append(("blosc", bytes(codec.encode(array))))
    results = decode(chunks)
    for case, array, result in zip(BLOSC_CASES, arrays, results, strict=True):
        assert "error" not in result, (case, result)
        decoded = np.frombuffer(base64.b64decode(result["data"]), dtype=array.dtype)
        assert np.array_equal(decoded, array), case


def test_the_converters_own_chunks_decode() -> None:
    """The built-in converter's codec (writer.py: Blosc LZ4 level 5, byte shuffle)."""
    from submissions.conversion.builtin.writer import _chunk_encoder

    tile = (np.arange(1024 * 512, dtype=np.uint32) * 2654435761 % 4096).astype(np.uint16)
    result = decode([("blosc", bytes(_chunk_encoder("blosc").encode(tile)))])[0]
    assert np.array_equal(np.frombuffer(base64.b64decode(result["data"]), np.uint16), tile)


def test_zstd_and_lz4_chunks_decode() -> None:
    array = sample("uint16", 123_457, seed=9)
    results = decode(
        [
            ("zstd", bytes(numcodecs.Zstd(level=3).encode(array))),
            ("lz4", bytes(numcodecs.LZ4(acceleration=1).encode(array))),
        ]
    )
    for result in results:
        assert np.array_equal(np.frombuffer(base64.b64decode(result["data"]), np.uint16), array)


def test_unsupported_or_damaged_chunks_fail_with_a_reason() -> None:
    array = sample("uint16", 20_000, seed=4)
    good = bytes(numcodecs.Blosc(cname="lz4", clevel=5).encode(array))
    results = decode(
        [
            ("blosc", bytes(numcodecs.Blosc(cname="blosclz", clevel=5).encode(array))),
            ("blosc", good[:40]),
            ("blosc", good[:10]),
            ("lz4", b"\x10\x00\x00\x00\xff\xff\xff"),
        ]
    )
    assert "BloscLZ" in results[0]["error"]
    assert "does not read" in results[0]["error"]
    for result in results[1:]:
        assert result.get("error", "").startswith("CodecError"), result
