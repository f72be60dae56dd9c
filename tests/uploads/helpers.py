"""Drive the upload protocol the way a client does: create, sign, PUT, list, complete."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import google_crc32c
from rest_framework.test import APIClient

KIB = 1024


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def b64crc32c(data: bytes) -> str:
    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


def create(client: APIClient, submission: Any, name: str, data: bytes, **extra: Any) -> Any:
    body = {"submission": str(submission.pk), "name": name, "size": len(data), **extra}
    return client.post("/api/v1/uploads/", body, format="json")


def sign(client: APIClient, upload_id: str, number: int, checksum: str) -> Any:
    return client.post(
        f"/api/v1/uploads/{upload_id}/parts/{number}/", {"checksum": checksum}, format="json"
    )


def put_part(client: APIClient, upload: dict[str, Any], number: int, data: bytes) -> Any:
    """Sign and send part `number` of `data` (the whole file) with a correct checksum."""
    size = upload["part_size"]
    chunk = data[(number - 1) * size : number * size]
    target = sign(client, upload["id"], number, b64sha256(chunk)).json()
    return client.generic(
        "PUT", target["url"], chunk, content_type="application/octet-stream", **_meta(target)
    )


def _meta(target: dict[str, Any]) -> dict[str, str]:
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in target["headers"].items()}


def put_raw(client: APIClient, target: dict[str, Any], chunk: bytes) -> Any:
    return client.generic(
        "PUT", target["url"], chunk, content_type="application/octet-stream", **_meta(target)
    )


def complete(client: APIClient, upload_id: str, commits: Any) -> Any:
    with commits():
        return client.post(f"/api/v1/uploads/{upload_id}/complete/")


def upload_whole(
    client: APIClient, submission: Any, name: str, data: bytes, commits: Any
) -> dict[str, Any]:
    upload = create(client, submission, name, data).json()
    for number in range(1, upload["part_count"] + 1):
        assert put_part(client, upload, number, data).status_code == 200
    response = complete(client, upload["id"], commits)
    assert response.status_code == 200, response.json()
    return dict(client.get(f"/api/v1/uploads/{upload['id']}/").json())
