from __future__ import annotations

from tests.review.conftest import make_submitted, other_curator, submitted

__all__ = ["make_submitted", "other_curator", "submitted"]
