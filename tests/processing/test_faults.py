"""Each dataset ends published exactly once, with nothing lost or duplicated, when:
a conversion worker is SIGKILLed mid-run, Redis restarts with jobs queued, S3 fails a while.

In the order Aperture works now: the images are converted into review copies when the
researcher submits (before any decision), and approval publishes those copies by copying
them into the archive. Each fault strikes the conversion before approval; the S3 outage
strikes both the push of the review copy and the copy into the archive.

Real components: a Celery worker subprocess (prefork, with beat running the sweeper) against
a real redis-server, the test database, and a moto S3 server. Only bioformats2raw is a
stand-in (see tests/processing/live.py): it keeps the real tool's command-line contract.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.db import connection, transaction

from submissions.accounts.models import User
from submissions.core import dispatch, storage
from submissions.lifecycle.models import (
    AccessionCounter,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from submissions.processing.inspection import inspect_data_file
from submissions.processing.models import ConversionJob, JobState
from submissions.processing.review_copies import start_review_copies
from submissions.review import services as review
from tests.processing import live
from tests.processing.conftest import add_file, make_submission, ome_tiff_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


@pytest.fixture
def harness(transactional_db: None, tmp_path: Path) -> Iterator[dict]:
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("worker subprocesses need a file database (see portal/settings/testing.py)")
    redis = live.PrivateRedis(tmp_path)
    redis.start()
    standin = live.write_slow_standin(tmp_path)
    workers: list[live.Worker] = []

    def new_worker(**extra: str) -> live.Worker:
        env = live.worker_env(redis_url=redis.url, standin=standin, extra=extra)
        worker = live.Worker(env=env, log=tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.start()
        return worker

    try:
        with live.producer_on(redis.url):
            yield {"redis": redis, "new_worker": new_worker, "tmp": tmp_path}
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()


def staged_submission(researcher: User, tmp: Path, files: int = 1) -> Submission:
    """Files uploaded and inspected while a draft, then submitted (its review copies are
    started by `submit`)."""
    submission = make_submission(researcher=researcher, status=SubmissionStatus.DRAFT)
    for index in range(files):
        data_file = add_file(
            submission, ome_tiff_bytes(tmp, seed=index), name=f"stack_{index}.ome.tif"
        )
        inspect_data_file(file_id=str(data_file.pk))
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.SUBMITTED)
    submission.refresh_from_db()
    return submission


def submit(submission: Submission) -> None:
    """What review.submit sets off once it commits: the review copies are started."""
    with transaction.atomic():
        dispatch.start_review_copies(submission_id=submission.pk)


def wait_review_copies(submission: Submission, workers: list[live.Worker], timeout: float = 60):
    """Until every job has its review copy; the submission waits for a curator meanwhile."""

    def converted() -> bool:
        jobs = list(ConversionJob.objects.filter(submission=submission))
        return bool(jobs) and all(job.state == JobState.SUCCEEDED for job in jobs)

    try:
        live.wait_for(converted, timeout=timeout, what="the review copies")
    except AssertionError:
        jobs = list(ConversionJob.objects.values("state", "attempts", "error_message"))
        logs = "\n".join(worker.output() for worker in workers)
        raise AssertionError(f"review copies not made; jobs {jobs}\n{logs}") from None
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED  # nobody decided anything yet
    assert submission.accession is None
    staging = storage.staging()
    for job in ConversionJob.objects.filter(submission=submission):
        listed = storage.list_tree(storage=staging, prefix=job.review_prefix)
        assert (len(listed), sum(listed.values())) == (job.object_count, job.output_bytes)


def wait_published(submission: Submission, workers: list[live.Worker], timeout: float = 60):
    def published() -> bool:
        submission.refresh_from_db()
        return submission.status == SubmissionStatus.PUBLISHED

    try:
        live.wait_for(published, timeout=timeout, what="the dataset to be published")
    except AssertionError:
        jobs = list(ConversionJob.objects.values("state", "attempts", "error_message"))
        logs = "\n".join(worker.output() for worker in workers)
        raise AssertionError(f"not published ({submission.status}); jobs {jobs}\n{logs}") from None


def assert_published_exactly_once(submission: Submission, *, files: int) -> list[ConversionJob]:
    events = SubmissionEvent.objects.filter(submission=submission, kind="status")
    assert events.filter(to_status="processing").count() == 1
    assert events.filter(to_status="published").count() == 1
    assert submission.accession == "APT-1"
    assert AccessionCounter.objects.get(prefix="APT").next_value == 2  # one number, once
    jobs = list(ConversionJob.objects.filter(submission=submission))
    assert len(jobs) == files
    archive = storage.archive()
    for job in jobs:
        assert job.state == JobState.SUCCEEDED
        listed = storage.list_tree(storage=archive, prefix=job.archive_prefix)
        assert len(listed) == job.object_count
        assert sum(listed.values()) == job.output_bytes
        # The pinned bioformats2raw (the stand-in here) writes NGFF 0.4 on Zarr v2.
        assert ".zgroup" in listed
        assert "OME/METADATA.ome.xml" in listed
    assert storage.exists(storage=archive, key="datasets/APT-1/.published")
    # Publication converted nothing: each job ran at submit only. The copies are gone from
    # staging once published.
    events = SubmissionEvent.objects.filter(submission=submission, kind="status")
    assert list(events.values_list("to_status", flat=True))[-3:] == [
        "approved",
        "processing",
        "published",
    ]
    wait_for_clean_staging(submission)
    return jobs


def wait_for_clean_staging(submission: Submission) -> None:
    def clean() -> bool:
        left = storage.list_all(storage=storage.staging())
        return not [key for key in left if key.startswith(f"review/{submission.pk}/")]

    live.wait_for(clean, timeout=30, what="the review copies to be deleted from staging")


def test_a_worker_killed_mid_conversion_is_replaced_and_publishes_once(
    harness: dict, researcher: User, curator: User
) -> None:
    submission = staged_submission(researcher, harness["tmp"], files=1)
    first = harness["new_worker"]()
    submit(submission)

    def converting() -> bool:
        job = ConversionJob.objects.filter(submission=submission).first()
        return bool(job and job.state == JobState.RUNNING and job.progress > 0.15)

    live.wait_for(converting, timeout=30, what="the conversion to be under way")
    first.kill()
    job = ConversionJob.objects.get(submission=submission)
    assert job.state == JobState.RUNNING  # the dead worker's claim is still there

    second = harness["new_worker"]()
    wait_review_copies(submission, [first, second])
    review.approve(submission=submission, curator=curator)
    wait_published(submission, [first, second])
    (job,) = assert_published_exactly_once(submission, files=1)
    assert job.attempts == 2  # the killed attempt, then the one that finished; none at approval


def test_redis_restarted_with_jobs_queued_loses_nothing(
    harness: dict, researcher: User, curator: User
) -> None:
    submission = staged_submission(researcher, harness["tmp"], files=2)
    redis: live.PrivateRedis = harness["redis"]
    start_review_copies(submission_id=str(submission.pk))  # as a worker would: jobs queued
    assert redis.queued("conversion") == 2

    redis.stop()  # no persistence: every queued message is gone
    redis.start()
    assert redis.queued("conversion") == 0

    worker = harness["new_worker"]()
    wait_review_copies(submission, [worker])  # the sweeper re-sent the lost messages
    review.approve(submission=submission, curator=curator)
    wait_published(submission, [worker])
    jobs = assert_published_exactly_once(submission, files=2)
    assert all(job.attempts == 1 for job in jobs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    from moto.server import ThreadedMotoServer

    from portal.settings._storage import _s3_options

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    proxy = live.FaultyProxy(port)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    direct = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
    for bucket in ("aperture-staging", "aperture-archive"):
        direct.create_bucket(Bucket=bucket)
    endpoint = f"http://127.0.0.1:{proxy.port}"
    stores = dict(settings.STORAGES)
    for name, bucket in (("staging", "aperture-staging"), ("archive", "aperture-archive")):
        options = {**_s3_options(bucket), "endpoint_url": endpoint}
        stores[name] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    settings.STORAGES = stores
    env = {
        "STAGING_BUCKET": "aperture-staging",
        "ARCHIVE_BUCKET": "aperture-archive",
        "S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
        # botocore's own retries off: Aperture's bounded retries must carry the outage.
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    }
    yield {"proxy": proxy, "direct": direct, "env": env}
    proxy.close()
    server.stop()


def test_an_s3_outage_during_the_push_delays_but_does_not_break_publication(
    harness: dict, s3: dict, researcher: User, curator: User
) -> None:
    submission = staged_submission(researcher, harness["tmp"], files=1)
    worker = harness["new_worker"](**s3["env"])
    submit(submission)

    def converting() -> bool:
        job = ConversionJob.objects.filter(submission=submission).first()
        return bool(job and job.state == JobState.RUNNING and job.progress > 0.15)

    live.wait_for(converting, timeout=30, what="the conversion to be under way")
    # Down for 6 s and until the push has met the outage (a few refused requests), however
    # long the rest of the conversion takes on a busy machine.
    s3["proxy"].fail_for(6, at_least=3)
    wait_review_copies(submission, [worker])
    assert s3["proxy"].refused > 0  # S3 really did fail for a while
    refused_before = s3["proxy"].refused

    # Down again as the curator approves: the copy into the archive meets the outage.
    s3["proxy"].fail_for(3, at_least=2)
    review.approve(submission=submission, curator=curator)
    wait_published(submission, [worker])
    assert s3["proxy"].refused > refused_before
    (job,) = assert_published_exactly_once(submission, files=1)
    keys = [
        item["Key"]
        for page in s3["direct"]
        .get_paginator("list_objects_v2")
        .paginate(Bucket="aperture-archive", Prefix="datasets/")
        for item in page.get("Contents", [])
    ]
    assert all(key.startswith("datasets/APT-1/") for key in keys)
    assert f"datasets/APT-1/{job.data_file_id}.original" in keys
    assert len([k for k in keys if ".ome.zarr/" in k]) == job.object_count
