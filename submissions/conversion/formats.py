"""Recognise a file's format from its first bytes, never from its name.

Researchers rename files freely ("image.tif" that is really a PNG export), so the extension
is only a hint for the message we show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from submissions.conversion.errors import UserFileError

# What the built-in converter reads; quoted in every "unsupported" message.
BUILTIN_FORMATS = "TIFF, BigTIFF, OME-TIFF, ImageJ TIFF, Zeiss CZI, Nikon ND2 and Leica LIF"


@dataclass(frozen=True)
class DetectedFormat:
    name: str
    # The built-in converter can read it (all TIFF flavours).
    is_tiff: bool = False
    # A microscopy format Bio-Formats reads (bioformats2raw can convert it) but Python here
    # cannot: inspection reports it instead of rejecting it.
    bioformats_only: bool = False
    # The bioio plugin that reads this vendor format ("czi", "nd2", "lif"), if one does.
    bioio_plugin: str | None = None


_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

# (offset, magic, name, bioformats_only)
_OTHER_MAGICS: tuple[tuple[int, bytes, str, bool], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG", False),
    (0, b"\xff\xd8\xff", "JPEG", False),
    (0, b"GIF87a", "GIF", False),
    (0, b"GIF89a", "GIF", False),
    (0, b"BM", "BMP", False),
    (0, b"%PDF", "PDF", False),
    (0, b"PK\x03\x04", "ZIP archive", False),
    (0, b"\x1f\x8b", "gzip archive", False),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive", False),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000", False),
    (0, b"\x89HDF\r\n\x1a\n", "HDF5 (e.g. Imaris .ims)", True),
    (128, b"DICM", "DICOM", True),
)

# (offset, magic, name, bioio plugin): vendor formats the built-in converter reads via bioio.
_BIOIO_MAGICS: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"ZISRAWFILE", "Zeiss CZI", "czi"),
    (0, b"\xda\xce\xbe\x0a", "Nikon ND2", "nd2"),
    (0, b"ND2 FILE SIGNATURE", "Nikon ND2", "nd2"),
)


def _is_lif(head: bytes) -> bool:
    """A Leica LIF starts with the int32 0x70, the XML block's size, then the byte 0x2A."""
    return head[:4] == b"\x70\x00\x00\x00" and head[8:9] == b"\x2a"


def display_name(*, path: Path | None, file: IO[bytes] | None, name: str | None) -> str:
    """The file name messages show: ``name``, else the path's; exactly one of path and file."""
    if (path is None) == (file is None):
        raise TypeError("pass either path or file")
    if name:
        return name
    if path is None:
        raise TypeError("a file needs the name to show in messages")
    return Path(path).name


def read_head(*, path: Path | None, file: IO[bytes] | None, size: int = 512) -> bytes:
    """The first ``size`` bytes of ``path`` or of the open ``file`` (rewound after)."""
    if file is None:
        if path is None:
            raise TypeError("pass either path or file")
        with Path(path).open("rb") as handle:
            return handle.read(size)
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head


def _detect(head: bytes, shown: str) -> DetectedFormat | None:
    """The format from the first bytes; None when no magic matches; raises for non-images."""
    if not head:
        raise UserFileError(
            code="empty_file",
            message=f"The file {shown} is empty (0 bytes). Please upload it again.",
        )
    if head[:4] in _TIFF_MAGICS:
        big = head[2:4] in (b"+\x00", b"\x00+")
        return DetectedFormat(name="BigTIFF" if big else "TIFF", is_tiff=True)
    for offset, magic, format_name, plugin in _BIOIO_MAGICS:
        if head[offset : offset + len(magic)] == magic:
            return DetectedFormat(name=format_name, bioio_plugin=plugin)
    if _is_lif(head):
        return DetectedFormat(name="Leica LIF", bioio_plugin="lif")
    for offset, magic, format_name, bioformats_only in _OTHER_MAGICS:
        if head[offset : offset + len(magic)] == magic:
            if bioformats_only:
                return DetectedFormat(name=format_name, bioformats_only=True)
            raise UserFileError(
                code="unsupported_format",
                message=(
                    f"The file {shown} is a {format_name}, not a microscopy image format. "
                    f"Aperture converts {BUILTIN_FORMATS} and what Bio-Formats reads. "
                    "Please export the original acquisition or an OME-TIFF."
                ),
            )
    return None


def detect_format(
    *, path: Path | None = None, file: IO[bytes] | None = None, name: str | None = None
) -> DetectedFormat:
    """Name the format of ``path`` (or of the open binary ``file``) from its magic bytes.

    ``name`` is the file name messages show (defaults to the path's). Raises
    UserFileError("empty_file") for an empty file and ("unsupported_format") for a file that
    is neither TIFF, a vendor format bioio reads, nor a microscopy format we recognise.
    """
    shown = display_name(path=path, file=file, name=name)
    detected = _detect(read_head(path=path, file=file), shown)
    if detected is None:
        raise UserFileError(
            code="unsupported_format",
            message=(
                f"Aperture does not recognise the format of {shown}. It converts "
                f"{BUILTIN_FORMATS}. Please export the image as OME-TIFF."
            ),
        )
    return detected


def needs_bioformats(
    *, path: Path | None = None, file: IO[bytes] | None = None, name: str | None = None
) -> bool:
    """True for a file only Bio-Formats can read: a microscopy format recognised as such
    (HDF5, DICOM) or one whose first bytes nothing here knows (ICS, OME-XML, V3Draw and the
    other ~150 formats). Raises as detect_format does for empty files and known non-images.
    """
    shown = display_name(path=path, file=file, name=name)
    detected = _detect(read_head(path=path, file=file), shown)
    return detected is None or detected.bioformats_only
