from __future__ import annotations

from tests.lifecycle.conftest import draft, ready

__all__ = ["draft", "ready"]
