"""Byte quantities as people write and read them: "1.5 TB", "500 GiB", "1200000"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from submissions.core.errors import ValidationFailed

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "pb": 10**15,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
    "pib": 2**50,
}
_PATTERN = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
MAX_LIMIT = 2**62


def format_bytes(nbytes: int) -> str:
    """Decimal units, as storage is sold: 1 GB = 10^9 bytes."""
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(value) < 1000 or unit == "PB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{nbytes} B"  # pragma: no cover - the loop always returns


def format_limit(nbytes: int) -> str:
    """Exact, in the largest decimal unit that divides it: parse_bytes reads it back unchanged."""
    for unit, factor in (
        ("PB", 10**15),
        ("TB", 10**12),
        ("GB", 10**9),
        ("MB", 10**6),
        ("kB", 10**3),
    ):
        if nbytes and nbytes % factor == 0:
            return f"{nbytes // factor} {unit}"
    return str(nbytes)


def parse_bytes(text: str, *, field: str) -> int | None:
    """ "" means no limit (None); anything else must be a size with an optional unit."""
    if text is None or not str(text).strip():
        return None
    match = _PATTERN.match(str(text))
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValidationFailed(
            fields={field: ["Write a size such as 500 GB, 2 TB or 1.5 TiB, or leave it empty."]}
        )
    try:
        value = int(Decimal(match.group(1)) * _UNITS[unit])
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ValidationFailed(fields={field: ["That is not a number."]}) from None
    if value > MAX_LIMIT:
        raise ValidationFailed(fields={field: ["That is larger than any storage we can count."]})
    return value
