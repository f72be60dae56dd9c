"""A TIFF cut short opens in tifffile as a smaller image, or without its OME-XML; Aperture
refuses it with a message that tells the researcher to upload the complete file."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion.errors import UserFileError
from submissions.conversion.inspect import inspect_file


def ome_tiff(shape=(1, 2, 10, 256, 512)) -> bytes:
    buffer = io.BytesIO()
    data = (np.random.default_rng(0).random(shape) * 1000).astype("uint16")
    tifffile.imwrite(buffer, data, ome=True, metadata={"axes": "TCZYX"})
    return buffer.getvalue()


@pytest.mark.parametrize("keep", [0.5, 0.9, -5], ids=["half", "most", "all-but-5-bytes"])
def test_a_truncated_ome_tiff_is_refused(tmp_path: Path, keep: float) -> None:
    whole = ome_tiff()
    cut = whole[: int(len(whole) * keep)] if keep > 0 else whole[: int(keep)]
    path = tmp_path / "embryo.ome.tif"
    path.write_bytes(cut)
    with pytest.raises(UserFileError) as refused:
        inspect_file(path=path)
    assert refused.value.code in {"truncated_file", "corrupt_file"}
    assert "embryo.ome.tif" in refused.value.message
    assert "upload" in refused.value.message


def test_the_complete_file_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "embryo.ome.tif"
    path.write_bytes(ome_tiff())
    result = inspect_file(path=path)
    assert result.format_name == "OME-TIFF"
    assert result.series[0].sizes == {"T": 1, "C": 2, "Z": 10, "Y": 256, "X": 512}


def test_damage_read_in_another_thread_is_not_blamed_on_this_file(tmp_path: Path) -> None:
    whole = ome_tiff()
    good, bad = tmp_path / "good.ome.tif", tmp_path / "bad.ome.tif"
    good.write_bytes(whole)
    bad.write_bytes(whole[: len(whole) // 2])
    results: dict[str, object] = {}

    def read(path: Path) -> None:
        for _ in range(20):
            try:
                results[path.name] = inspect_file(path=path).format_name
            except UserFileError as error:
                results[path.name] = error.code

    threads = [threading.Thread(target=read, args=(p,)) for p in (good, bad)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"good.ome.tif": "OME-TIFF", "bad.ome.tif": "truncated_file"}
