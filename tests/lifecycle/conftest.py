from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission
from submissions.uploads.models import FileStatus
from tests.factories import DataFileFactory, complete_rembi


@pytest.fixture
def draft(researcher: User) -> Submission:
    facility = researcher.memberships.get().facility
    return services.create_submission(user=researcher, facility=facility, title="Working title")


@pytest.fixture
def ready(researcher: User) -> Submission:
    """A draft with a complete description and one inspected file."""
    facility = researcher.memberships.get().facility
    submission = services.create_submission(
        user=researcher, facility=facility, title="t", metadata=complete_rembi()
    )
    DataFileFactory(submission=submission, status=FileStatus.INSPECTED, name="raw/cell_01.tif")
    return submission
