"""A test image whose every view is predictable, and what the viewer must show of it.

The image is T=2, C=3, Z=4, 512 x 512 uint16, on a 4 x 4 grid of 128-pixel cells. In plane
(t, c, z) exactly one cell is bright (value 1000, all else 0): the cell in row z and column
c + t. So at any z and t, each channel lights a different cell, the row says the z-plane, the
column the channel and the time point, and a flipped or shifted picture cannot pass.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tifffile

T, C, Z, SIDE, CELL = 2, 3, 4, 512, 128
GRID = SIDE // CELL
BRIGHT = 1000
CHANNEL_NAMES = ["Nucleus", "Membrane", "Mitochondria"]
PIXEL_SIZE_UM = 0.5

RGB = tuple[int, int, int]


def pattern() -> np.ndarray:
    data = np.zeros((T, C, Z, SIDE, SIDE), dtype=np.uint16)
    for t in range(T):
        for c in range(C):
            for z in range(Z):
                row, col = z, c + t
                data[t, c, z, row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL] = BRIGHT
    return data


def ome_tiff(tmp_path: Path) -> bytes:
    path = tmp_path / "grid.ome.tif"
    tifffile.imwrite(
        path,
        pattern(),
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "TCZYX",
            "PhysicalSizeX": PIXEL_SIZE_UM,
            "PhysicalSizeY": PIXEL_SIZE_UM,
            "PhysicalSizeZ": 2.0,
            "Channel": {"Name": CHANNEL_NAMES},
        },
    )
    return path.read_bytes()


def two_series_ome_tiff(tmp_path: Path) -> bytes:
    """The grid as series 1, and as series 2 a plain 256 x 256 uint8 image with no channel
    name and no pixel size, bright (200) in its top-right quarter only."""
    second = np.zeros((1, 256, 256), dtype=np.uint8)
    second[0, :128, 128:] = 200
    path = tmp_path / "two.ome.tif"
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(
            pattern(),
            photometric="minisblack",
            metadata={
                "axes": "TCZYX",
                "PhysicalSizeX": PIXEL_SIZE_UM,
                "PhysicalSizeY": PIXEL_SIZE_UM,
                "Channel": {"Name": CHANNEL_NAMES},
            },
        )
        tif.write(second, photometric="minisblack", metadata={"axes": "CYX"})
    return path.read_bytes()


def expected_cells(*, z: int, t: int, shown: dict[int, RGB]) -> dict[tuple[int, int], RGB]:
    """The colour of every cell (row, column) with channels `shown` ({index: colour}) at full
    contrast: the sum of the colours of the channels bright there, black elsewhere."""
    cells: dict[tuple[int, int], RGB] = {
        (r, k): (0, 0, 0) for r in range(GRID) for k in range(GRID)
    }
    for c, colour in shown.items():
        key = (z, c + t)
        old = cells[key]
        cells[key] = (
            min(255, old[0] + colour[0]),
            min(255, old[1] + colour[1]),
            min(255, old[2] + colour[2]),
        )
    return cells


def cell_centre_on_screen(
    *,
    row: int,
    col: int,
    width: int,
    height: int,
    zoom_steps: int = 0,
    pan_px: Sequence[float] = (0, 0),
    side: int = SIDE,
    cell: int = CELL,
) -> tuple[float, float]:
    """Where a cell's centre is on a canvas of `width` x `height` CSS pixels, with the image
    fitted (the viewer's documented start: whole image, centred), zoomed `zoom_steps` times by
    2 about the centre, then the view moved by `pan_px` screen pixels."""
    scale = min(width / side, height / side) * 2**zoom_steps
    x = width / 2 + ((col + 0.5) * cell - side / 2) * scale - pan_px[0]
    y = height / 2 + ((row + 0.5) * cell - side / 2) * scale - pan_px[1]
    return x, y


def png_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
