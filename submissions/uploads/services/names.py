"""Display names: what a researcher called a file, made safe to show. Never a storage key."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

MAX_NAME_LENGTH = 255


def sanitise_name(raw: str) -> str:
    """A relative path with no control or bidi-override characters, no `..`, at most 255 chars.

    Folders are kept (`run1/cell.tif`) because microscopy datasets are laid out in them;
    `\\` counts as a separator so Windows paths keep their folders too.
    """
    text = unicodedata.normalize("NFC", raw.replace("\\", "/"))
    # Cc: NUL and other controls; Cf: U+202E and the other invisible format characters.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"})
    segments = [segment.strip().strip(".").strip() for segment in text.split("/")]
    segments = [segment for segment in segments if segment]
    name = "/".join(segments)
    return _shorten(name, MAX_NAME_LENGTH)


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    path = PurePosixPath(name)
    suffix = "".join(path.suffixes)[-20:] if path.suffix else ""
    return name[: limit - len(suffix)].rstrip() + suffix


def numbered(name: str, n: int) -> str:
    """`cell.ome.tif` -> `cell (2).ome.tif`, still within the length limit."""
    path = PurePosixPath(name)
    suffix = "".join(path.suffixes) if len("".join(path.suffixes)) <= 20 else path.suffix
    stem = name[: len(name) - len(suffix)] if suffix else name
    marker = f" ({n})"
    stem = stem[: MAX_NAME_LENGTH - len(marker) - len(suffix)]
    return f"{stem}{marker}{suffix}"
