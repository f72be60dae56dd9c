from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def postgres_only() -> None:
    """Races need PostgreSQL: SQLite serialises writers, so nothing would race."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises writers, so nothing races "
            "(set DATABASE_URL=postgres://...; CI does)"
        )
