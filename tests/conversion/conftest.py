"""Small input images written with tifffile, and helpers to read converted output back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr


def read_level(output: Path, *, series: int = 0, level: int = 0) -> np.ndarray:
    return np.asarray(zarr.open_array(str(output / str(series) / str(level)), mode="r")[...])


def image_attrs(output: Path, *, series: int = 0) -> dict:
    attrs = dict(zarr.open_group(str(output / str(series)), mode="r").attrs)
    return attrs.get("ome", attrs)


def random_image(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return rng.normal(100.0, 30.0, size=shape).astype(kind)
    info = np.iinfo(kind)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=kind)


@pytest.fixture
def ome_tiff_5d(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """T=2, C=3, Z=4, Y=300, X=280 uint16 with physical sizes in the OME-XML."""
    data = random_image((2, 3, 4, 300, 280), "uint16")
    path = tmp_path / "five_d.ome.tif"
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "TCZYX",
            "PhysicalSizeX": 0.25,
            "PhysicalSizeY": 0.3,
            "PhysicalSizeZ": 1.5,
            "PhysicalSizeXUnit": "µm",
            "PhysicalSizeYUnit": "µm",
            "PhysicalSizeZUnit": "µm",
            "TimeIncrement": 2.0,
            "TimeIncrementUnit": "s",
            "Channel": {"Name": ["DAPI", "GFP", "RFP"]},
        },
    )
    return path, data
