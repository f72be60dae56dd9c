"""/healthz tells an operator, in JSON, whether each dependency is up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client

from portal.celery import app


@pytest.fixture
def live_workers(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A real Celery worker on the real broker, consuming both queues."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, queues=["default", "conversion"]):
        yield
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_all_green_with_database_broker_storage_and_workers(live_workers: None) -> None:
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage", "workers"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_no_worker_means_503_naming_the_missing_queues() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    workers = response.json()["checks"]["workers"]
    assert workers["ok"] is False
    assert "conversion" in workers["error"]


@pytest.mark.django_db
def test_broker_down_means_503(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = f"redis+socket://{tmp_path / 'nothing-listens-here.sock'}"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_storage_down_means_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.files.storage import storages

    def unreachable(name: str) -> bool:
        raise OSError("connection refused")

    monkeypatch.setattr(storages["archive"], "exists", unreachable)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert "connection refused" in response.json()["checks"]["storage"]["error"]
