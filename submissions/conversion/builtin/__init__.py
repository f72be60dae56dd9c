"""The built-in converter: TIFF family, CZI, ND2 and LIF to OME-Zarr in the bioformats2raw layout.

Run it through ``python -m submissions.conversion.cli convert`` (a child process), not by
calling :func:`convert` inside a worker: the child gets its own time and memory limits.
"""

from __future__ import annotations

from submissions.conversion.builtin.converter import (
    CONVERTER_NAME,
    ConversionSummary,
    convert,
    converter_version,
)

__all__ = ["CONVERTER_NAME", "ConversionSummary", "convert", "converter_version"]
