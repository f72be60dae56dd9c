"""The built-in converter writes straight to an S3 prefix (moto's server on loopback), shards
as parallel multipart uploads, and nothing of the output lands on local disk."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
import zarr

from submissions.conversion.builtin import convert
from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.runner import OutputFormat, convert_file
from submissions.conversion.target import S3Location, S3ReadStore
from submissions.conversion.thumbnail import make_thumbnail
from submissions.conversion.validate import validate_output
from tests.conversion.conftest import random_image

pytestmark = pytest.mark.s3


@pytest.fixture
def bucket(moto_endpoint: str) -> Any:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"archive-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=name)
    client.bucket = name
    return client


def _location(bucket: Any, moto_endpoint: str, prefix: str) -> S3Location:
    return S3Location(
        bucket=bucket.bucket,
        prefix=prefix,
        endpoint_url=moto_endpoint,
        region="us-east-1",
        addressing_style="path",
    )


def _keys(bucket: Any, prefix: str) -> dict[str, int]:
    listed = bucket.list_objects_v2(Bucket=bucket.bucket, Prefix=prefix + "/")
    return {item["Key"][len(prefix) + 1 :]: item["Size"] for item in listed.get("Contents", [])}


def _read(location: S3Location, path: str) -> np.ndarray:
    return np.asarray(zarr.open_array(S3ReadStore(location), path=path, mode="r")[...])


def _two_series(path: Path) -> tuple[np.ndarray, np.ndarray]:
    # Series 0 is incompressible and ~13 MB: its level-0 shard needs a multipart upload.
    first = random_image((2, 2048, 1600), "uint16", seed=1)
    second = random_image((3, 90, 70), "uint8", seed=2)
    with tifffile.TiffWriter(path) as writer:
        writer.write(first, photometric="minisblack", metadata={"axes": "ZYX"})
        writer.write(second, photometric="minisblack", metadata={"axes": "CYX"})
    return first, second


def test_conversion_to_s3_keeps_every_pixel_of_every_series(
    tmp_path: Path, bucket: Any, moto_endpoint: str
) -> None:
    source = tmp_path / "two.tif"
    first, second = _two_series(source)
    location = _location(bucket, moto_endpoint, "datasets/APT-1/file.ome.zarr")
    before = sorted(tmp_path.rglob("*"))

    convert(input_path=source, output=location, max_workers=4)

    assert sorted(tmp_path.rglob("*")) == before  # nothing staged on local disk
    report = validate_output(output=location)
    assert report.ngff_version == "0.5"
    assert [series.path for series in report.series] == ["0", "1"]
    np.testing.assert_array_equal(_read(location, "0/0")[0, 0], first)
    np.testing.assert_array_equal(_read(location, "1/0")[0, :, 0], second)
    keys = _keys(bucket, location.prefix)
    assert keys["0/0/c/0/0/0/0/0"] > 8 * 2**20  # one shard object, sent in parts
    assert report.object_count == len(keys)
    assert report.total_bytes == sum(keys.values())
    uploads = bucket.list_multipart_uploads(Bucket=bucket.bucket).get("Uploads", [])
    assert uploads == []  # every multipart upload completed
    png = make_thumbnail(output=location, series=1)
    assert png.startswith(b"\x89PNG")


def test_rewriting_a_prefix_removes_the_earlier_attempts_objects(
    tmp_path: Path, bucket: Any, moto_endpoint: str
) -> None:
    location = _location(bucket, moto_endpoint, "datasets/APT-2/file.ome.zarr")
    big, small = tmp_path / "big.tif", tmp_path / "small.tif"
    tifffile.imwrite(big, random_image((600, 600), "uint8"))
    data = random_image((40, 30), "uint8", seed=5)
    tifffile.imwrite(small, data)
    convert(input_path=big, output=location, shard_bytes=0, tile_width=64, tile_height=64)
    stale = set(_keys(bucket, location.prefix))

    convert(input_path=small, output=location)

    keys = set(_keys(bucket, location.prefix))
    assert len(stale) > len(keys)
    assert validate_output(output=location).object_count == len(keys)
    np.testing.assert_array_equal(_read(location, "0/0")[0, 0, 0], data)


def test_runner_converts_to_s3_in_a_child_process_with_credentials_in_its_environment(
    tmp_path: Path, bucket: Any, moto_endpoint: str
) -> None:
    source = tmp_path / "stack.ome.tif"
    data = random_image((3, 200, 180), "uint16", seed=9)
    tifffile.imwrite(source, data, ome=True, metadata={"axes": "ZYX"})
    location = S3Location(
        bucket=bucket.bucket,
        prefix="datasets/APT-3/file.ome.zarr",
        endpoint_url=moto_endpoint,
        region="us-east-1",
        addressing_style="path",
        access_key="testing",
        secret_key="secret-never-on-the-command-line",
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    result = convert_file(
        input_path=source,
        output_path=location,
        scratch_dir=scratch,
        output_format=OutputFormat(shard_shape=(1, 1, 1, 128, 128)),
        timeout_s=120,
    )

    assert "secret-never-on-the-command-line" not in " ".join(result.args)
    assert result.output_path == "s3://" + bucket.bucket + "/datasets/APT-3/file.ome.zarr"
    assert result.object_count == len(_keys(bucket, location.prefix))
    np.testing.assert_array_equal(_read(location, "0/0")[0, 0], data)
    assert list(scratch.iterdir()) == []


def test_an_unreachable_store_is_a_transient_storage_failure(tmp_path: Path) -> None:
    source = tmp_path / "small.tif"
    tifffile.imwrite(source, random_image((40, 40), "uint8"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    nowhere = S3Location(
        bucket="archive",
        prefix="datasets/APT-4/file.ome.zarr",
        endpoint_url="http://127.0.0.1:9",  # discard port: the connection is refused
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
    )

    with pytest.raises(ApplicationError) as caught:
        convert_file(input_path=source, output_path=nowhere, scratch_dir=scratch, timeout_s=120)

    assert caught.value.code == "storage_unavailable"
    assert caught.value.transient is True


def test_a_tiff_in_s3_is_converted_without_a_local_copy(
    tmp_path: Path, bucket: Any, moto_endpoint: str
) -> None:
    source = tmp_path / "stack.ome.tif"
    data = random_image((4, 300, 260), "uint16", seed=11)
    tifffile.imwrite(source, data, ome=True, metadata={"axes": "ZYX"})
    bucket.upload_file(str(source), bucket.bucket, "uploads/s/f")
    source.unlink()
    uploaded = _location(bucket, moto_endpoint, "uploads/s/f")
    output = _location(bucket, moto_endpoint, "datasets/APT-5/f.ome.zarr")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    result = convert_file(
        input_path=uploaded,
        input_name="stack.ome.tif",
        output_path=output,
        scratch_dir=scratch,
        timeout_s=120,
    )

    assert list(tmp_path.rglob("*")) == [scratch]  # nothing landed on local disk
    assert result.input_path == f"s3://{bucket.bucket}/uploads/s/f"
    np.testing.assert_array_equal(_read(output, "0/0")[0, 0], data)


def test_a_damaged_tiff_in_s3_is_the_files_fault_and_named(
    tmp_path: Path, bucket: Any, moto_endpoint: str
) -> None:
    source = tmp_path / "cut.tif"
    tifffile.imwrite(source, random_image((4, 256, 256), "uint16"), photometric="minisblack")
    bucket.put_object(
        Bucket=bucket.bucket, Key="uploads/s/cut", Body=source.read_bytes()[: 256 * 256 * 2 * 2]
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    with pytest.raises(UserFileError) as caught:
        convert_file(
            input_path=_location(bucket, moto_endpoint, "uploads/s/cut"),
            input_name="cells.tif",
            output_path=_location(bucket, moto_endpoint, "datasets/APT-6/f.ome.zarr"),
            scratch_dir=scratch,
            timeout_s=120,
        )

    assert caught.value.code == "truncated_file"
    assert "cells.tif" in caught.value.message
    assert _keys(bucket, "datasets/APT-6/f.ome.zarr") == {}
