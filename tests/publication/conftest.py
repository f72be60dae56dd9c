from __future__ import annotations

from tests.processing.conftest import image_bytes, submitted

__all__ = ["image_bytes", "submitted"]
