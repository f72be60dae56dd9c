"""Operations: liveness vs readiness, protected Prometheus metrics, JSON logs in production,
writable paths created at start (never at import), presigned URLs for the public endpoint,
and a backup that restores into an empty database with every dataset found."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client

from submissions.core import paths, storage
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import JobState
from submissions.publication.models import Publication
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "aperture.example.org",
    # Production requires Redis (broker and shared cache); importing settings never connects.
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}


# --- Health --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_liveness_touches_no_dependency(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_what_serving_needs_but_not_workers() -> None:
    response = Client().get("/healthz/ready")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "broker", "storage"}


@pytest.mark.django_db
def test_readiness_fails_when_the_broker_is_down(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = Client().get("/healthz/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert Client().get("/healthz/live").status_code == 200


@pytest.mark.django_db
def test_full_health_still_reports_workers() -> None:
    # No worker runs in this test: /healthz (make run's all-green page) says so.
    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["workers"]["ok"] is False


# --- Metrics -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_hidden_without_the_token(settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret"

    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


@pytest.mark.django_db
def test_metrics_cover_requests_queues_jobs_and_bytes(settings: Any, researcher: Any) -> None:
    settings.METRICS_TOKEN = "s3cret"
    submission = factories.SubmissionFactory(owner=researcher)
    factories.DataFileFactory(submission=submission, size=1234, status="inspected")
    Client().get("/healthz/live")

    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")

    assert response.status_code == 200
    text = response.content.decode()
    assert 'aperture_http_request_duration_seconds_count{method="GET",route="healthz/live"' in text
    assert 'aperture_queue_depth{queue="conversion"}' in text
    assert 'aperture_conversion_jobs{state="failed"} 0.0' in text
    assert "aperture_conversion_job_duration_seconds_count" in text
    assert "aperture_uploaded_bytes 1234.0" in text
    assert "aperture_published_bytes" in text


@pytest.mark.django_db
def test_metrics_from_an_allowed_network_need_no_token(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics").status_code == 404


# --- Logs, settings, paths -----------------------------------------------------------------


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_logs_are_json_lines() -> None:
    completed = _python(
        "import django, logging; django.setup(); "
        "logging.getLogger('submissions.test').warning('job %s failed', 'abc')",
        PRODUCTION_ENV,
    )

    record = json.loads(completed.stderr.strip().splitlines()[-1])
    assert record["level"] == "WARNING"
    assert record["logger"] == "submissions.test"
    assert record["message"] == "job abc failed"


def test_importing_settings_writes_nothing(tmp_path: Path) -> None:
    var = tmp_path / "var-not-created"
    completed = _python(
        "import os, pathlib\n"
        "def refuse(*a, **k): raise SystemExit('write at import: %r' % (a,))\n"
        "pathlib.Path.mkdir = refuse; os.makedirs = refuse; os.mkdir = refuse\n"
        "import django; django.setup()\n"
        "from django.conf import settings; print(settings.VAR_DIR)\n",
        {**PRODUCTION_ENV, "APERTURE_VAR_DIR": str(var)},
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(var)
    assert not var.exists()


def test_an_unwritable_directory_stops_the_process_with_its_setting(
    tmp_path: Path, settings: Any
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.CONVERSION_SCRATCH_DIR = blocker / "scratch"

    with pytest.raises(ImproperlyConfigured) as caught:
        paths.prepare("worker")

    assert "CONVERSION_SCRATCH_DIR" in str(caught.value)
    assert str(blocker / "scratch") in str(caught.value)


def test_each_role_creates_its_own_directories(tmp_path: Path, settings: Any) -> None:
    settings.CONVERSION_SCRATCH_DIR = tmp_path / "scratch"
    settings.CELERY_BEAT_SCHEDULE_FILENAME = str(tmp_path / "beat" / "schedule")

    paths.prepare("web")
    assert not (tmp_path / "scratch").exists()
    paths.prepare("worker")
    paths.prepare("beat")

    assert (tmp_path / "scratch").is_dir()
    assert (tmp_path / "beat").is_dir()


# --- Public endpoint for presigned URLs ------------------------------------------------------


class _S3Stub:
    bucket_name = "aperture-archive"
    access_key, secret_key, security_token = "k", "s", None

    def __init__(self, endpoint: str) -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="k",
            aws_secret_access_key="s",
        )
        self.connection = type("Resource", (), {"meta": type("Meta", (), {"client": client})})


def test_presigned_urls_point_at_the_public_endpoint(settings: Any) -> None:
    settings.S3_PUBLIC_ENDPOINT_URL = "https://s3.aperture.example.org"
    stub = _S3Stub("http://minio:9000")

    url = storage.download_url(storage=stub, key="datasets/APT-1/x.ome.zarr/zarr.json")  # type: ignore[arg-type]

    assert url is not None
    assert url.startswith("https://s3.aperture.example.org/aperture-archive/datasets/APT-1/")
    assert "minio" not in url


def test_without_a_public_endpoint_urls_use_the_internal_one(settings: Any) -> None:
    settings.S3_PUBLIC_ENDPOINT_URL = None

    url = storage.download_url(storage=_S3Stub("http://127.0.0.1:9000"), key="a/b/c")  # type: ignore[arg-type]

    assert url is not None
    assert url.startswith("http://127.0.0.1:9000/aperture-archive/a/b/c")


# --- Backup and restore ----------------------------------------------------------------------


def _published(facility: Any, accession: str) -> None:
    submission = factories.SubmissionFactory(facility=facility, accession=accession)
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.PUBLISHED)
    Publication.objects.create(
        submission=submission,
        accession=accession,
        state=JobState.SUCCEEDED,
        due_at=dt.datetime.now(dt.UTC),
        marker_written_at=dt.datetime.now(dt.UTC),
    )
    storage.write_bytes(
        storage=storage.archive(),
        key=f"datasets/{accession}/manifest.json",
        data=b"{}",
        content_type="application/json",
    )


def _drop_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_database(tmp_path: Path) -> str:
    """The DATABASE_URL of a new, empty database of the same engine as the test one."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    import psycopg

    name = f"aperture_restore_{uuid.uuid4().hex[:8]}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    base = f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_an_empty_database_and_finds_every_dataset(
    tmp_path: Path, facility: Any
) -> None:
    for accession in ("APT-7", "APT-8", "APT-9"):
        _published(facility, accession)
    target = tmp_path / "backup"
    test_db = connection.settings_dict
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.testing"}
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{test_db['NAME']}"
    else:
        auth = test_db["USER"] + (f":{test_db['PASSWORD']}" if test_db["PASSWORD"] else "")
        env["DATABASE_URL"] = (
            f"postgres://{auth}@{test_db['HOST']}:{test_db['PORT'] or 5432}/{test_db['NAME']}"
        )
    env["APERTURE_TEST_STORAGE"] = str(Path(storage.archive().location).parent)  # type: ignore[attr-defined]

    made = _python(
        f"import sys; sys.argv=['manage.py','backup',{str(target)!r}]; "
        "import manage; manage.main()",
        env,
    )
    assert made.returncode == 0, made.stderr
    assert "3 datasets" in made.stdout
    empty = _empty_database(tmp_path)
    try:
        restored = _python(
            f"import sys; sys.argv=['manage.py','restore',{str(target)!r}]; "
            "import manage; manage.main()",
            {**env, "DATABASE_URL": empty},
        )
    finally:
        _drop_database(empty)

    assert restored.returncode == 0, restored.stderr
    assert "Restored 3 datasets: APT-7, APT-8, APT-9" in restored.stdout
    assert "Every archived object listed in the backup is present." in restored.stdout
    refused = _python(
        f"import sys; sys.argv=['manage.py','restore',{str(target)!r}]; "
        "import manage; manage.main()",
        env,  # the live database: not empty
    )
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
