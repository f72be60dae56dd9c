"""With S3 staging, inspecting an upload reads its header and metadata through ranged GETs:
the result is the one folder storage gives, a small fraction of the file crosses the network,
nothing lands on the worker's disk, and an S3 outage is retried instead of failing the file.

S3 is a real moto server on a loopback port (behind the fault-injecting proxy of the
reliability tests where an outage is needed); nothing is mocked.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from botocore.config import Config

from submissions.accounts.models import User
from submissions.conversion.inspect import inspect_file as describe
from submissions.core import ranged, storage
from submissions.lifecycle.models import SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.processing.tasks import TransientStorageError, inspect_file
from submissions.uploads.models import FileStatus
from tests.conftest import empty_bucket, use_s3_staging
from tests.conversion.conftest import write_czi
from tests.processing import live
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes

# T, C, Z, Y, X of uint16: 20 planes of 1 MiB, a 20 MiB OME-TIFF.
LARGE = (1, 2, 10, 512, 1024)


@pytest.fixture
def scratch(settings: Any, tmp_path: Path) -> Path:
    settings.CONVERSION_SCRATCH_DIR = tmp_path / "scratch"
    return settings.CONVERSION_SCRATCH_DIR


@pytest.fixture
def flaky_s3(settings: Any, moto_endpoint: str) -> Iterator[live.FaultyProxy]:
    """Staging on the moto server behind a proxy that can fail on demand.

    botocore's own retries are off and its time-outs short, so an outage reaches Aperture's
    code at once.
    """
    proxy = live.FaultyProxy(int(moto_endpoint.rsplit(":", 1)[1]))
    client = use_s3_staging(
        settings,
        f"http://127.0.0.1:{proxy.port}",
        client_config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"total_max_attempts": 1},
            connect_timeout=1,
            read_timeout=1,
        ),
    )
    yield proxy
    proxy.recover()
    empty_bucket(client)
    proxy.close()


def s3_calls() -> list[tuple[str, int]]:
    """(operation, body bytes) of every S3 call the staging storage's client makes from now."""
    calls: list[tuple[str, int]] = []

    def record(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        body = parsed.get("ContentLength", 0) if model.name == "GetObject" else 0
        calls.append((model.name, int(body)))

    storage.s3_client(storage.staging()).meta.events.register("after-call.s3", record)
    return calls


@pytest.mark.django_db
def test_an_s3_upload_is_inspected_from_a_small_fraction_of_its_bytes(
    researcher: User,
    tmp_path: Path,
    settings: Any,
    moto_endpoint: str,
    scratch: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    content = ome_tiff_bytes(tmp_path, shape=LARGE)
    assert len(content) >= 20 * 2**20
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    in_folder = add_file(submission, content, name="cells.ome.tif")
    inspect_data_file(file_id=str(in_folder.pk))
    in_folder.refresh_from_db()
    assert in_folder.status == FileStatus.INSPECTED

    client = use_s3_staging(settings, moto_endpoint)
    in_s3 = add_file(submission, content, name="cells.ome.tif")
    calls = s3_calls()
    with caplog.at_level(logging.INFO, logger="submissions.core.ranged"):
        inspect_data_file(file_id=str(in_s3.pk))
    empty_bucket(client)

    in_s3.refresh_from_db()
    assert in_s3.status == FileStatus.INSPECTED
    assert in_s3.inspection == in_folder.inspection
    assert in_s3.inspection["size_bytes"] == len(content)
    calls[:] = [call for call in calls if call[0] != "PutObject"]  # storing the preview
    fetched = sum(size for _, size in calls)
    # The metadata costs a small fraction of the file; the preview then reads the middle
    # plane of each channel (2 x 512 x 1024 x 2 bytes), and nothing more.
    _, channels, _, height, width = LARGE
    assert fetched < len(content) / 50 + channels * height * width * 2
    assert fetched < len(content) / 5
    assert {operation for operation, _ in calls} == {"HeadObject", "GetObject"}
    assert not scratch.exists() or not any(scratch.iterdir())
    # The worker's log says what the inspection cost, and it is what went over the wire.
    (record,) = [r for r in caplog.records if r.name == "submissions.core.ranged"]
    assert (record.s3_requests, record.s3_bytes) == (len(calls), fetched)  # type: ignore[attr-defined]
    print(f"\n{len(content)} B file: {len(calls)} requests, {fetched} B fetched")


@pytest.mark.django_db
def test_a_damaged_upload_on_s3_fails_with_a_message_naming_the_file(
    researcher: User, tmp_path: Path, s3_staging: Any, scratch: Path
) -> None:
    content = ome_tiff_bytes(tmp_path, shape=LARGE)
    damaged = content[:8] + bytes(4096) + content[8 + 4096 :]  # the first IFD zeroed
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, damaged, name="embryo_day3.ome.tif")

    inspect_data_file(file_id=str(data_file.pk))

    data_file.refresh_from_db()
    assert data_file.status == FileStatus.FAILED
    assert data_file.failure_code == "corrupt_file"
    assert "embryo_day3.ome.tif" in data_file.failure_message
    assert data_file.storage_key not in data_file.failure_message
    assert not scratch.exists() or not any(scratch.iterdir())


@pytest.mark.parametrize("cache_bytes", [ranged.CACHE_BYTES, 4 * ranged.BLOCK_SIZE])
def test_a_ranged_s3_file_reads_the_same_bytes_as_the_object(
    s3_staging: Any, cache_bytes: int
) -> None:
    content = np.random.default_rng(3).integers(0, 256, size=300_000, dtype=np.uint8).tobytes()
    key = "uploads/reader/object"
    s3_staging.put_object(Bucket=s3_staging.bucket, Key=key, Body=content)
    rng = np.random.default_rng(4)

    # With the small cache, blocks are evicted and most reads bypass it.
    with ranged.open_ranged(
        client=s3_staging, bucket=s3_staging.bucket, key=key, name="o", cache_bytes=cache_bytes
    ) as handle:
        assert handle.seek(0, io.SEEK_END) == len(content)
        assert handle.read(10) == b""  # at the end
        for _ in range(100):
            offset = int(rng.integers(0, len(content) + 100))
            size = int(rng.integers(0, 100_000 if _ % 2 else 300))
            handle.seek(offset)
            assert handle.read(size) == content[offset : offset + size]
            assert handle.tell() == min(offset + size, max(offset, len(content)))
        handle.seek(-5, io.SEEK_END)
        handle.seek(2, io.SEEK_CUR)
        assert handle.read() == content[-3:]
        with pytest.raises(OSError, match="negative seek"):
            handle.seek(-1)


def paged_tiff_bytes(tmp_path: Path, *, pages: int = 8) -> bytes:
    """A plain TIFF written page by page, each IFD beside its plane (as most vendors do)."""
    path = tmp_path / "paged.tif"
    planes = np.random.default_rng(0).integers(0, 4000, size=(pages, 512, 512), dtype=np.uint16)
    with tifffile.TiffWriter(path) as writer:
        for plane in planes:
            writer.write(plane, contiguous=False)
    return path.read_bytes()


@pytest.mark.django_db
def test_a_tiff_with_an_ifd_beside_each_plane_costs_one_request_a_plane(
    researcher: User, tmp_path: Path, s3_staging: Any, caplog: pytest.LogCaptureFixture
) -> None:
    content = paged_tiff_bytes(tmp_path, pages=24)
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, content)

    with caplog.at_level(logging.INFO, logger="submissions.core.ranged"):
        inspect_data_file(file_id=str(data_file.pk))

    data_file.refresh_from_db()
    assert data_file.status == FileStatus.INSPECTED
    (record,) = [r for r in caplog.records if r.name == "submissions.core.ranged"]
    # tifffile visits each IFD twice; the second visit is served from the block cache.
    assert record.s3_requests <= 24 + 3  # type: ignore[attr-defined]
    # The metadata, plus the one plane (of 24) the preview shows.
    assert record.s3_bytes < len(content) / 10 + len(content) / 24  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outage", "layout", "failing_get"),
    [
        ("unavailable", "ome", 1),
        ("unavailable", "ome", 2),
        ("unavailable", "paged", 4),
        # A time-out is an OSError: tifffile takes it for a damaged file, or catches it while
        # it walks the IFDs and goes on with fewer pages. Neither may reach the researcher.
        ("timeout", "ome", 2),
        ("timeout", "paged", 4),
        ("timeout", "paged", 7),
    ],
)
def test_an_s3_blip_during_inspection_is_retried_not_blamed_on_the_file(
    researcher: User,
    tmp_path: Path,
    flaky_s3: live.FaultyProxy,
    outage: str,
    layout: str,
    failing_get: int,
) -> None:
    content = (
        ome_tiff_bytes(tmp_path, shape=LARGE) if layout == "ome" else paged_tiff_bytes(tmp_path)
    )
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    data_file = add_file(submission, content)
    client = storage.s3_client(storage.staging())
    gets = 0

    def blip_on_one_get(**_: Any) -> None:
        nonlocal gets
        gets += 1
        if gets == failing_get:
            flaky_s3.fail() if outage == "unavailable" else flaky_s3.stall()
        elif gets == failing_get + 1:
            flaky_s3.recover()  # only one request failed

    client.meta.events.register("before-call.s3.GetObject", blip_on_one_get)
    with pytest.raises(TransientStorageError):
        inspect_file(file_id=str(data_file.pk))  # as the worker runs it: Celery retries this error
    data_file.refresh_from_db()
    assert data_file.status == FileStatus.VERIFIED
    assert data_file.failure_code == ""

    client.meta.events.unregister("before-call.s3.GetObject", blip_on_one_get)
    flaky_s3.recover()
    inspect_file(file_id=str(data_file.pk))  # the retry

    data_file.refresh_from_db()
    assert data_file.status == FileStatus.INSPECTED
    local = tmp_path / "local" / data_file.name
    local.parent.mkdir()
    local.write_bytes(content)
    found = dict(data_file.inspection)
    assert found.pop("preview") is True  # made from the same handle, after the metadata
    assert found == describe(path=local).as_dict()


@pytest.mark.django_db
def test_a_czi_on_s3_is_inspected_from_a_scratch_copy_that_is_then_removed(
    researcher: User, tmp_path: Path, settings: Any, moto_endpoint: str, scratch: Path
) -> None:
    # bioio's CZI reader opens paths only, so a vendor file is copied to scratch (a symlink
    # with folder storage) instead of being read through ranged GETs.
    data = np.random.default_rng(5).integers(0, 4000, size=(2, 3, 64, 96), dtype=np.uint16)
    path = write_czi(
        tmp_path / "stack.czi", data, channel_names=["DAPI", "GFP"], pixel_size_um=(2, 0.5, 0.5)
    )
    content = path.read_bytes()
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    in_folder = add_file(submission, content, name="stack.czi")
    inspect_data_file(file_id=str(in_folder.pk))
    in_folder.refresh_from_db()

    client = use_s3_staging(settings, moto_endpoint)
    in_s3 = add_file(submission, content, name="stack.czi")
    inspect_data_file(file_id=str(in_s3.pk))
    empty_bucket(client)
    in_s3.refresh_from_db()

    assert in_folder.status == in_s3.status == FileStatus.INSPECTED
    assert in_s3.inspection == in_folder.inspection
    assert in_s3.inspection["format_name"] == "Zeiss CZI"
    assert in_s3.inspection["series"][0]["sizes"] == {"T": 1, "C": 2, "Z": 3, "Y": 64, "X": 96}
    assert in_s3.inspection["preview"] is True
    assert not any(scratch.iterdir())
