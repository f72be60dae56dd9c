"""Sending one part: checksum it, get its URL, stream it, retry what a network loses."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import google_crc32c
import httpx

from submissions.core.ratelimit import RateLimit

__all__ = ["RateLimit"]  # the CLI's --max-rate; it lives in core, shared with the fixity audit

CHUNK = 1024 * 1024
RETRY_DELAYS = (1, 2, 4, 8, 15, 30, 30, 60, 60, 60)
# 400: the bytes were damaged on the way (bad digest); 403: the URL expired; 408/429: later.
RETRY_STATUSES = (400, 403, 408, 429)
NOTICE_SECONDS = 10.0


class Interrupted(Exception):
    """Ctrl-C: stop sending, keep what arrived."""


class UploadError(Exception):
    """A refusal a retry cannot fix; the message is the server's."""


@dataclass
class Part:
    number: int
    offset: int
    size: int


def part_checksum(fd: int, part: Part, algorithm: str, stop: threading.Event) -> str:
    hasher: Any = google_crc32c.Checksum() if algorithm == "crc32c" else hashlib.sha256()
    done = 0
    while done < part.size:
        if stop.is_set():
            raise Interrupted
        data = os.pread(fd, min(CHUNK, part.size - done), part.offset + done)
        if not data:
            raise UploadError("The file got shorter while it was being uploaded.")
        hasher.update(data)
        done += len(data)
    return base64.b64encode(hasher.digest()).decode()


def _body(fd: int, part: Part, stop: threading.Event, limit: RateLimit) -> Iterator[bytes]:
    done = 0
    while done < part.size:
        if stop.is_set():
            raise Interrupted
        data = os.pread(fd, min(CHUNK, part.size - done), part.offset + done)
        limit.take(len(data))
        yield data
        done += len(data)


class WholeFileHash(threading.Thread):
    """The whole file's SHA-256, read in order beside the parts being sent (mostly from the
    page cache they were just read into), for the server to verify the stored file against.
    """

    def __init__(self, fd: int, size: int, stop: threading.Event) -> None:
        super().__init__(daemon=True, name="sha256")
        self.fd, self.size, self.stop = fd, size, stop
        self.cancelled = threading.Event()
        self.hexdigest: str | None = None
        self.error: str | None = None

    def run(self) -> None:
        hasher = hashlib.sha256()
        offset = 0
        while offset < self.size:
            if self.stop.is_set() or self.cancelled.is_set():
                return
            data = os.pread(self.fd, min(8 * CHUNK, self.size - offset), offset)
            if not data:
                self.error = "The file got shorter while it was being uploaded."
                return
            hasher.update(data)
            offset += len(data)
        self.hexdigest = hasher.hexdigest()

    def cancel(self) -> None:
        self.cancelled.set()

    def result(self) -> str:
        """Wait for the hash; Interrupted when the upload was stopped meanwhile."""
        while self.is_alive():
            self.join(timeout=0.2)
        if self.error:
            raise UploadError(self.error)
        if self.hexdigest is None:
            raise Interrupted
        return self.hexdigest


@dataclass
class PartSender:
    api: httpx.Client  # authenticated, for Aperture's API
    plain: httpx.Client  # no credentials: part URLs carry their own signature
    upload_id: str
    algorithm: str
    stop: threading.Event
    limit: RateLimit
    progress: Callable[[int], None]
    # Told when a part is tried again (the network dropped, the server answered 5xx), so a
    # stalled upload says why; at most one notice per NOTICE_SECONDS for all parts.
    notice: Callable[[str], None] | None = None
    # Signs this part with the next few in one request (cli.signing.BatchSigner); without
    # it, or when it cannot, each part is signed alone.
    signer: Any = None
    _last_notice: list[float] = field(default_factory=lambda: [0.0])
    _notice_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, fd: int, part: Part) -> None:
        """Send one part; `progress` hears of its bytes only once the server accepted them."""
        presigned = self.signer.take(part) if self.signer is not None else None
        if presigned is not None:
            checksum, target = presigned
        else:
            checksum, target = part_checksum(fd, part, self.algorithm, self.stop), None
        attempts = len(RETRY_DELAYS) + 1
        last = ""
        for attempt, delay in enumerate((0, *RETRY_DELAYS)):
            if last:
                self._tell(f"part {part.number}: {last}; trying again in {delay} s "
                           f"(attempt {attempt + 1} of {attempts})")  # fmt: skip
            self._pause(delay)
            try:
                signed = target or self._sign(part, checksum)
                target = None  # a retry signs afresh (the URL may have expired)
                response = self.plain.request(
                    signed["method"],
                    signed["url"],
                    content=_body(fd, part, self.stop, self.limit),
                    headers={**signed["headers"], "Content-Length": str(part.size)},
                )
            except httpx.TransportError as error:
                last = _unreachable(error)
                continue
            except UploadRetry as retry:
                last = str(retry)
                continue
            if response.status_code in (200, 204):
                self.progress(part.size)
                return
            retryable = response.status_code >= 500 or response.status_code in RETRY_STATUSES
            if retryable and attempt < len(RETRY_DELAYS):
                last = f"{_host(response.request.url)} answered {response.status_code}"
                continue
            raise UploadError(f"part {part.number}: {_message(response)}")
        raise UploadError(
            f"part {part.number} failed {attempts} times (last: {last}); run the same command "
            "again to resume"
        )

    def _tell(self, text: str) -> None:
        if self.notice is None:
            return
        with self._notice_lock:
            now = time.monotonic()
            if now - self._last_notice[0] < NOTICE_SECONDS:
                return
            self._last_notice[0] = now
        self.notice(text)

    def _pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Interrupted

    def _sign(self, part: Part, checksum: str) -> dict[str, Any]:
        response = self.api.post(
            f"/api/v1/uploads/{self.upload_id}/parts/{part.number}/", json={"checksum": checksum}
        )
        if response.status_code >= 500:
            raise UploadRetry(f"{_host(response.request.url)} answered {response.status_code}")
        if response.status_code != 200:
            raise UploadError(f"part {part.number}: {_message(response)}")
        return dict(response.json())


class UploadRetry(Exception):
    pass


def _host(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode()}"


def _unreachable(error: httpx.TransportError) -> str:
    try:
        where = _host(error.request.url)
    except RuntimeError:
        where = "the server"
    reason = str(error).strip()
    if reason.startswith("[Errno") and "]" in reason:
        reason = reason.split("]", 1)[1].strip()
    return f"{where} could not be reached ({reason or type(error).__name__})"


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message") or response.text[:200])
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
