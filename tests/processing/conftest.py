"""Submissions with real image files in staging storage, ready to be inspected or approved."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from django.utils import timezone

from submissions.accounts.models import User
from submissions.core import storage
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.uploads.models import DataFile, FileStatus
from tests import factories
from tests.conftest import empty_bucket, use_s3_staging


def ome_tiff_bytes(tmp_path: Path, *, seed: int = 0, shape=(1, 2, 3, 70, 90)) -> bytes:
    """A small 5-D OME-TIFF (T, C, Z, Y, X) with channel names and pixel sizes."""
    data = np.random.default_rng(seed).integers(0, 4000, size=shape, dtype=np.uint16)
    path = tmp_path / f"source-{uuid.uuid4().hex}.ome.tif"
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "TCZYX",
            "PhysicalSizeX": 0.2,
            "PhysicalSizeY": 0.2,
            "PhysicalSizeZ": 1.0,
            "Channel": {"Name": ["DAPI", "GFP"]},
        },
    )
    return path.read_bytes()


def put_staged(data_file: DataFile, content: bytes) -> None:
    target = storage.staging()
    if storage.is_s3(target):
        storage.write_bytes(
            storage=target, key=data_file.storage_key, data=content, content_type="image/tiff"
        )
        return
    path = Path(target.path(data_file.storage_key))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def add_file(
    submission: Submission,
    content: bytes,
    *,
    name: str = "cells.ome.tif",
    status: str = FileStatus.VERIFIED,
    inspection: dict | None = None,
) -> DataFile:
    file_id = uuid.uuid4()
    data_file = DataFile.objects.create(
        id=file_id,
        submission=submission,
        name=name,
        storage_key=f"uploads/{submission.pk}/{file_id}",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        status=status,
        verified_at=timezone.now(),
        inspection=inspection or {},
    )
    put_staged(data_file, content)
    return data_file


def make_submission(
    *, researcher: User, status: str = SubmissionStatus.SUBMITTED, metadata: dict | None = None
) -> Submission:
    membership = researcher.memberships.first()
    return factories.SubmissionFactory(
        owner=researcher,
        facility=membership.facility,
        group=membership.group,
        status=status,
        metadata=metadata or {},
    )


@pytest.fixture
def image_bytes(tmp_path: Path) -> bytes:
    return ome_tiff_bytes(tmp_path)


@pytest.fixture
def submitted(researcher: User, tmp_path: Path) -> Submission:
    """A submitted dataset with two image files, waiting for a curator."""
    submission = make_submission(
        researcher=researcher,
        metadata={"study": {"title": "HeLa mitochondria", "description": "Live imaging."}},
    )
    from submissions.processing.inspection import inspect_data_file

    for seed, name in ((1, "cells_a.ome.tif"), (2, "cells_b.ome.tif")):
        data_file = add_file(submission, ome_tiff_bytes(tmp_path, seed=seed), name=name)
        inspect_data_file(file_id=str(data_file.pk))
    return submission


@pytest.fixture
def s3_both(settings: Any, moto_endpoint: str):
    """Staging and archive both on the moto S3 server (two buckets)."""
    staging_client = use_s3_staging(settings, moto_endpoint)
    import boto3

    bucket = f"aperture-archive-{uuid.uuid4().hex[:8]}"
    archive_client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    archive_client.create_bucket(Bucket=bucket)
    archive_client.bucket = bucket
    stores = dict(settings.STORAGES)
    options = {**stores["staging"]["OPTIONS"], "bucket_name": bucket}
    stores["archive"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    settings.STORAGES = stores
    yield staging_client, archive_client
    empty_bucket(staging_client)
    empty_bucket(archive_client)


@pytest.fixture
def submit(django_capture_on_commit_callbacks: Any, researcher: User) -> Any:
    """`submit(submission)`: the researcher submits, and what the submission scheduled on
    commit (inspection, review copies) runs; returns the submission as it now is."""

    def run(submission: Submission) -> Submission:
        with django_capture_on_commit_callbacks(execute=True):
            review.submit(submission=submission, user=researcher)
        submission.refresh_from_db()
        return submission

    return run
