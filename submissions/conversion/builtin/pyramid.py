"""Resolution pyramid: level shapes, 2x2 mean downsampling, and the row-band cascade.

Each plane is pushed through the levels one band of rows at a time: level 0 receives bands
of ``tile_height`` rows; every level keeps at most ``tile_height`` rows of its own buffered,
writes them as one row of chunks when full, and hands the 2x-downsampled rows to the next
level. So memory per plane is about two chunk rows per level, whatever the plane's height,
and lower levels are built from the previous level without reading anything back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# NGFF viewers load the lowest level first; 256 px fits a thumbnail and one chunk.
SMALLEST_LEVEL_PX = 256


def level_shapes(*, height: int, width: int, resolutions: int | None) -> list[tuple[int, int]]:
    """(y, x) per level: halve (rounding up) until both fit SMALLEST_LEVEL_PX, or N levels."""
    shapes = [(height, width)]
    while True:
        y, x = shapes[-1]
        if resolutions is not None:
            if len(shapes) >= resolutions:
                break
        elif y <= SMALLEST_LEVEL_PX and x <= SMALLEST_LEVEL_PX:
            break
        shapes.append(((y + 1) // 2, (x + 1) // 2))
    return shapes


def downsample_2x2(block: np.ndarray) -> np.ndarray:
    """2x2 mean of a 2-D block, keeping its dtype; an odd last row/column repeats its edge.

    Integers are summed in a wider type and rounded half up, so a uniform region keeps its
    exact value; floats are averaged in their own precision (float64 for float64).
    """
    rows, cols = block.shape
    if rows % 2 or cols % 2:
        block = np.pad(block, ((0, rows % 2), (0, cols % 2)), mode="edge")
    dtype = block.dtype
    if dtype.kind == "f":
        top, bottom = block[0::2], block[1::2]
        total = top[:, 0::2] + top[:, 1::2]
        total += bottom[:, 0::2]
        total += bottom[:, 1::2]
        total *= dtype.type(0.25)
        return total
    if dtype.kind == "b":
        return block[0::2, 0::2].copy()
    wide = np.int64 if dtype.itemsize >= 4 else (np.int32 if dtype.kind == "i" else np.uint32)
    top = block[0::2].astype(wide)
    bottom = block[1::2].astype(wide)
    total = top[:, 0::2] + top[:, 1::2]
    total += bottom[:, 0::2]
    total += bottom[:, 1::2]
    total += 2
    total //= 4
    return total.astype(dtype)


WriteRows = Callable[[int, int, np.ndarray], None]
"""write(level, y0, rows): store ``rows`` at rows y0.. of one plane of ``level``."""


class PlaneCascade:
    """Feeds one plane's row bands through every pyramid level (see module docstring)."""

    def __init__(self, *, levels: int, band_rows: int, write: WriteRows) -> None:
        if band_rows % 2:
            raise ValueError("band_rows must be even so 2x2 blocks never straddle bands")
        self._levels = levels
        self._band_rows = band_rows
        self._write = write
        self._buffers: list[list[np.ndarray]] = [[] for _ in range(levels)]
        self._buffered_rows = [0] * levels
        self._next_row = [0] * levels

    def push(self, rows: np.ndarray) -> None:
        """Add the next rows of level 0, top to bottom."""
        self._add(0, rows)

    def finish(self) -> None:
        """Flush every level's partial last band (the plane's bottom edge)."""
        for level in range(self._levels):
            if self._buffered_rows[level]:
                self._flush(level)

    def _add(self, level: int, rows: np.ndarray) -> None:
        self._buffers[level].append(rows)
        self._buffered_rows[level] += rows.shape[0]
        while self._buffered_rows[level] >= self._band_rows:
            self._flush(level, limit=self._band_rows)

    def _flush(self, level: int, limit: int | None = None) -> None:
        parts = self._buffers[level]
        block = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        if limit is not None and block.shape[0] > limit:
            block, rest = block[:limit], block[limit:]
            self._buffers[level] = [rest]
            self._buffered_rows[level] = rest.shape[0]
        else:
            self._buffers[level] = []
            self._buffered_rows[level] = 0
        self._write(level, self._next_row[level], block)
        self._next_row[level] += block.shape[0]
        if level + 1 < self._levels:
            self._add(level + 1, downsample_2x2(block))
