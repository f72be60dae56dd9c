from __future__ import annotations

from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from tests.factories import SubmissionFactory
from tests.uploads.helpers import KIB


@pytest.fixture
def small_parts(settings: Any) -> int:
    """64 KiB parts so multi-part files stay small in tests (S3 itself needs 5 MiB)."""
    settings.UPLOAD_MIN_PART_SIZE = 64 * KIB
    settings.UPLOAD_PART_SIZE = 64 * KIB
    return 64 * KIB


@pytest.fixture
def five_mib_parts(settings: Any) -> int:
    """S3's smallest part size, as the browser tests use it."""
    settings.UPLOAD_MIN_PART_SIZE = 5 * 1024 * KIB
    settings.UPLOAD_PART_SIZE = 5 * 1024 * KIB
    return 5 * 1024 * KIB


@pytest.fixture
def draft(researcher: User) -> Submission:
    return SubmissionFactory(owner=researcher, facility=researcher.memberships.get().facility)


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """`with commits(): ...` runs what the block scheduled with transaction.on_commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
