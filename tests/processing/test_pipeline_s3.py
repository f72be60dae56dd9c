"""With S3 storage (moto's server on loopback), approval converts each file straight into its
archive prefix: sharded NGFF 0.5, validated in the bucket, published without a second copy;
a TIFF upload is read from staging by ranged GETs, so scratch holds neither input nor output."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from submissions.accounts.models import User
from submissions.conversion.target import S3Location, S3ReadStore
from submissions.core import keys, storage
from submissions.lifecycle.models import SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.processing.models import ConversionJob
from submissions.review import services as review
from tests.conftest import empty_bucket, use_s3_staging
from tests.processing.conftest import add_file, make_submission

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def _use_s3_archive(settings: Any, endpoint: str) -> Any:
    import boto3

    bucket = f"aperture-archive-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    storages = dict(settings.STORAGES)
    storages["archive"] = {
        **storages["staging"],
        "OPTIONS": {**storages["staging"]["OPTIONS"], "bucket_name": bucket},
    }
    settings.STORAGES = storages
    client.bucket = bucket
    return client


@pytest.fixture
def s3_both(settings: Any, moto_endpoint: str) -> Any:
    staging = use_s3_staging(settings, moto_endpoint)
    archive = _use_s3_archive(settings, moto_endpoint)
    yield archive
    empty_bucket(staging)
    empty_bucket(archive)


def test_approval_on_s3_converts_into_the_archive_with_no_push(
    researcher: User,
    curator: User,
    tmp_path: Path,
    s3_both: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import tifffile

    settings.CONVERSION_SCRATCH_DIR = tmp_path / "scratch"
    data = np.random.default_rng(4).integers(0, 4000, size=(2, 3, 300, 280), dtype=np.uint16)
    source = tmp_path / "stack.ome.tif"
    tifffile.imwrite(source, data, ome=True, metadata={"axes": "CZYX"})
    submission = make_submission(
        researcher=researcher, metadata={"study": {"title": "S3 stack", "description": "x"}}
    )
    data_file = add_file(submission, source.read_bytes(), name="stack.ome.tif")
    inspect_data_file(file_id=str(data_file.pk))

    def no_second_pass(**kwargs: Any) -> None:
        raise AssertionError("the converted tree was pushed a second time")

    def no_local_copy(**kwargs: Any) -> None:
        raise AssertionError("the upload was copied to scratch: a TIFF is read by ranges")

    monkeypatch.setattr(storage, "upload_tree", no_second_pass)
    monkeypatch.setattr(storage, "local_copy", no_local_copy)
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()

    assert submission.status == SubmissionStatus.PUBLISHED, submission.status
    job = ConversionJob.objects.get(data_file=data_file)
    prefix = keys.archive_prefix(accession=submission.accession, file_id=data_file.pk)
    listed = storage.list_tree(storage=storage.archive(), prefix=prefix)
    assert (len(listed), sum(listed.values())) == (job.object_count, job.output_bytes)
    location = S3Location(
        bucket=s3_both.bucket,
        prefix=prefix,
        endpoint_url=settings.STORAGES["archive"]["OPTIONS"]["endpoint_url"],
        region="us-east-1",
        addressing_style="path",
    )
    level0 = zarr.open_array(S3ReadStore(location), path="0/0", mode="r")
    assert level0.shards is not None
    np.testing.assert_array_equal(np.asarray(level0[0]), data)
    marker = s3_both.get_object(Bucket=s3_both.bucket, Key=keys.marker_key(submission.accession))
    assert json.loads(marker["Body"].read())["accession"] == submission.accession
    assert job.thumbnail_key
    assert job.provenance["input_sha256"] == data_file.sha256
    assert not any((tmp_path / "scratch").glob("job-*"))
