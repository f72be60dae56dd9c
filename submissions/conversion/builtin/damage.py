"""Notice the damage tifffile forgives.

tifffile logs, rather than raises, when an offset points past the end of the file: it then
returns what it could read, so a TIFF cut short (an interrupted copy, a half-written export)
opens as a smaller image or loses its OME-XML, and would be converted without complaint.
These messages are exactly the signs of a truncated file, so reading one is refused instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Phrases of tifffile's log messages that mean "this points beyond the end of the file".
_TRUNCATION_SIGNS = ("invalid page offset", "invalid value offset", "corrupted tag list")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return  # another file, read by another thread at the same time
        message = record.getMessage()
        if any(sign in message for sign in _TRUNCATION_SIGNS):
            self.found.append(message)


@contextmanager
def truncation_signs() -> Iterator[list[str]]:
    """The truncation messages tifffile logs in this thread while the block runs."""
    collector = _Collector()
    logger = logging.getLogger("tifffile")
    logger.addHandler(collector)
    try:
        yield collector.found
    finally:
        logger.removeHandler(collector)
