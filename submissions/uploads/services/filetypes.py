"""The type of a file from its first bytes (magic numbers), never from its name."""

from __future__ import annotations

# (offset, magic, type) — the first match wins; longer, more specific magics first.
SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"ZISRAWFILE", "image/x-zeiss-czi"),
    (0, b"\xda\xce\xbe\x0a", "image/x-nikon-nd2"),
    (0, b"\x89HDF\r\n\x1a\n", "application/x-hdf5"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"II+\x00", "image/tiff"),  # BigTIFF
    (0, b"MM\x00+", "image/tiff"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # OIB, ZVI
    (128, b"DICM", "application/dicom"),
    (0, b"\x70\x00\x00\x00", "image/x-leica-lif"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x93NUMPY", "application/x-npy"),
]
HEAD_BYTES = 512


def detect_type(head: bytes) -> str:
    for offset, magic, kind in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head and _looks_like_text(head):
        return "text/plain"
    return "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return b"\x00" not in head
