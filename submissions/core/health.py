"""Liveness of everything the portal needs: database, broker, storage, workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection

REQUIRED_QUEUES = ("default", "conversion")


def redis_client(url: str | None = None, *, timeout: float = 1.0) -> redis.Redis:
    url = url or settings.REDIS_URL
    if url.startswith("redis+socket://"):
        return redis.Redis(
            unix_socket_path=url.removeprefix("redis+socket://"),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    client = redis_client()
    client.ping()
    return {"embedded": settings.EMBEDDED_REDIS}


def check_storage() -> dict[str, Any]:
    for name in ("staging", "archive"):
        # exists() is a HEAD on S3 and a stat on a folder: cheap, and fails when unreachable.
        storages[name].exists("healthz-probe")
    return {"backend": "s3" if settings.USE_S3 else "folder"}


def check_workers() -> dict[str, Any]:
    from portal.celery import app

    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    served = {queue["name"] for queues in replies.values() for queue in queues}
    missing = [name for name in REQUIRED_QUEUES if name not in served]
    if missing:
        raise RuntimeError(f"no worker consumes queue(s): {', '.join(missing)}")
    return {"workers": len(replies)}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "workers": check_workers,
}


# What a web process needs to serve requests (workers may live elsewhere and come later).
READINESS_CHECKS = {name: CHECKS[name] for name in ("database", "broker", "storage")}


def run_checks(
    checks: dict[str, Callable[[], dict[str, Any]]] | None = None,
) -> tuple[bool, dict[str, dict[str, Any]]]:
    results: dict[str, dict[str, Any]] = {}
    healthy = True
    for name, check in (checks or CHECKS).items():
        started = time.monotonic()
        try:
            detail = check()
            results[name] = {"ok": True, **detail}
        except Exception as exc:
            healthy = False
            results[name] = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return healthy, results
