from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from submissions.models import Submission, User
from tests.factories import SubmissionFactory
from tests.uploads.helpers import KIB


@pytest.fixture
def small_parts(settings: Any) -> int:
    """64 KiB parts so multi-part files stay small in tests (S3 itself needs 5 MiB)."""
    settings.UPLOAD_MIN_PART_SIZE = 64 * KIB
    settings.UPLOAD_PART_SIZE = 64 * KIB
    return 64 * KIB


@pytest.fixture
def draft(researcher: User) -> Submission:
    return SubmissionFactory(owner=researcher, facility=researcher.memberships.get().facility)


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """`with commits(): ...` runs what the block scheduled with transaction.on_commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


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


@pytest.fixture
def s3_staging(settings: Any, moto_endpoint: str) -> Iterator[Any]:
    """Staging storage switched to an S3 bucket on the moto server; yields the boto3 client."""
    import boto3

    bucket = f"aperture-staging-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    storages = dict(settings.STORAGES)
    storages["staging"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": moto_endpoint,
            "region_name": "us-east-1",
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
        },
    }
    settings.STORAGES = storages
    client.bucket = bucket  # type: ignore[attr-defined]
    yield client
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
