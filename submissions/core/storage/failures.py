"""Which storage failures are transient (worth retrying later) and which are not."""

from __future__ import annotations

import socket

_TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "Throttling",
    "ThrottlingException",
    "503",
    "500",
    "502",
    "504",
}


class StorageMismatch(Exception):
    """What is in the bucket is not what we wrote (missing object or wrong size)."""


def is_transient(error: BaseException) -> bool:
    """S3 5xx/throttling, lost or refused connections, timeouts: worth retrying later."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            EndpointConnectionError
            | ConnectionClosedError
            | ConnectTimeoutError
            | ReadTimeoutError
            | ConnectionError
            | socket.timeout
            | TimeoutError,
        ):
            return True
        if isinstance(current, ClientError):
            code = str(current.response.get("Error", {}).get("Code", ""))
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            return code in _TRANSIENT_CODES or status >= 500
        if isinstance(current, StorageMismatch):
            return True
        if "S3UploadFailedError" in type(current).__name__ and any(
            marker in str(current) for marker in ("503", "500", "SlowDown", "Connection", "timed")
        ):
            return True
        current = current.__cause__ or current.__context__
    return False
