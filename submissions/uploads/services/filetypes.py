"""The type of a file from its first bytes (magic numbers), never from its name; and whether
the bytes contradict the image format a name claims (an HTML page saved as `.ome.tif`)."""

from __future__ import annotations

# (offset, magic, type) — the first match wins; longer, more specific magics first.
SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"ZISRAWFILE", "image/x-zeiss-czi"),
    (0, b"\xda\xce\xbe\x0a", "image/x-nikon-nd2"),
    (0, b"ND2 FILE SIGNATURE", "image/x-nikon-nd2"),
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
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
            return "text/html"
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


# Names that claim an image format whose first bytes are known, and the detected types that
# honour the claim. (Bio-Formats formats with no signature, such as ICS, claim nothing here.)
_CLAIMS: list[tuple[tuple[str, ...], str, frozenset[str]]] = [
    ((".ome.tif", ".ome.tiff", ".ome.btf"), "OME-TIFF", frozenset({"image/tiff"})),
    (
        (".tif", ".tiff", ".btf", ".tf2", ".tf8", ".lsm", ".stk", ".svs", ".ndpi", ".scn"),
        "TIFF",
        frozenset({"image/tiff"}),
    ),
    ((".czi",), "Zeiss CZI", frozenset({"image/x-zeiss-czi"})),
    # Nikon's older ND2 files are JPEG 2000 containers.
    ((".nd2",), "Nikon ND2", frozenset({"image/x-nikon-nd2", "image/jp2"})),
    ((".lif",), "Leica LIF", frozenset({"image/x-leica-lif"})),
    ((".ims",), "Imaris", frozenset({"application/x-hdf5"})),
    ((".oib", ".zvi"), "Olympus OIB or Zeiss ZVI", frozenset({"application/x-ole-storage"})),
]

# What a detected type is, in a sentence ("its contents are ...").
_CONTENTS = {
    "text/html": "an HTML web page",
    "text/plain": "text",
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "application/gzip": "a gzip archive",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/jp2": "a JPEG 2000 image",
    "image/tiff": "a TIFF image",
    "image/x-zeiss-czi": "a Zeiss CZI file",
    "image/x-nikon-nd2": "a Nikon ND2 file",
    "image/x-leica-lif": "a Leica LIF file",
    "application/x-hdf5": "an HDF5 file",
    "application/x-ole-storage": "an OLE compound file (Olympus OIB or Zeiss ZVI)",
    "application/dicom": "a DICOM file",
    "application/x-npy": "a NumPy array",
}


def claimed_format(name: str) -> tuple[str, frozenset[str]] | None:
    """(format, the detected types that match it) a file name claims, or None."""
    lowered = name.lower()
    for suffixes, label, types in _CLAIMS:
        if lowered.endswith(suffixes):
            return label, types
    return None


def format_contradiction(*, name: str, head: bytes) -> str | None:
    """Why the first bytes are not the image format `name` claims, for the researcher; None
    when the name claims nothing checkable or the bytes match it."""
    claim = claimed_format(name)
    if claim is None or not head:
        return None
    label, types = claim
    found = detect_type(head)
    if found in types:
        return None
    what = _CONTENTS.get(found, "data of a format Aperture does not recognise")
    return (
        f"Its name says {label}, but its contents are {what}, not {label}. It may have been "
        f"saved from a web page or renamed by mistake: upload the original {label} file."
    )
