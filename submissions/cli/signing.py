"""Signing parts ahead, several in one request (`POST /api/v1/uploads/<id>/parts/sign/`).

One signing request per part held one of the server's workers for 50-90 ms before each PUT
(a fifth of a 64 MiB part's turn on a loaded 2-core server). Here the first sender that
needs a URL signs its own part and the next few waiting ones; their senders then find their
URL ready. Anything unexpected (an older server without the endpoint, a refusal, a network
error) returns None, and that part is signed alone as before, which also gives the precise
error.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from submissions.cli.transfer import Part, part_checksum

SIGN_AHEAD = 8  # parts per request


class BatchSigner:
    def __init__(
        self,
        api: httpx.Client,
        upload_id: str,
        algorithm: str,
        fd: int,
        todo: list[Part],
        stop: threading.Event,
        size: int = SIGN_AHEAD,
    ) -> None:
        self.api, self.upload_id, self.algorithm = api, upload_id, algorithm
        self.fd, self.stop, self.size = fd, stop, size
        self.waiting = list(todo)  # not yet signed, in sending order
        self.ready: dict[int, tuple[str, dict[str, Any]]] = {}
        self.signing: dict[int, threading.Event] = {}  # in a request now: set when answered
        self.lock = threading.Lock()
        self.enabled = True

    def take(self, part: Part) -> tuple[str, dict[str, Any]] | None:
        """(checksum, target) for `part`, signed with others; None: sign it alone."""
        with self.lock:
            answered = self.signing.get(part.number)
        if answered is not None:  # another sender is signing it with its own
            answered.wait()
        with self.lock:
            if part.number in self.ready:
                return self.ready.pop(part.number)
            if not self.enabled or answered is not None:
                return None
            others = [p for p in self.waiting if p.number != part.number][: self.size - 1]
            batch = [part, *others]
            taken = {p.number for p in batch}
            self.waiting = [p for p in self.waiting if p.number not in taken]
            done = threading.Event()
            self.signing.update(dict.fromkeys(taken - {part.number}, done))
        try:
            return self._sign(part, batch, taken)
        finally:
            with self.lock:
                for number in taken:
                    self.signing.pop(number, None)
            done.set()

    def _sign(
        self, part: Part, batch: list[Part], taken: set[int]
    ) -> tuple[str, dict[str, Any]] | None:
        sums = {p.number: part_checksum(self.fd, p, self.algorithm, self.stop) for p in batch}
        body = {"parts": [{"number": n, "checksum": c} for n, c in sums.items()]}
        try:
            response = self.api.post(f"/api/v1/uploads/{self.upload_id}/parts/sign/", json=body)
        except httpx.TransportError:
            return None
        if response.status_code in (404, 405):
            # A server from before this endpoint (or the upload is gone, which signing the
            # part alone then says in the server's words).
            self.enabled = False
        if response.status_code != 200:
            return None
        targets = {int(t["number"]): t for t in response.json()}
        with self.lock:
            for number in taken - {part.number}:
                if number in targets:
                    self.ready[number] = (sums[number], targets[number])
        if part.number not in targets:
            return None
        return sums[part.number], targets[part.number]
