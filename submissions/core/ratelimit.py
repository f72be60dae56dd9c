"""A byte budget per second shared by threads: the CLI's `--max-rate` and the fixity audit's
FIXITY_AUDIT_MAX_MB_S."""

from __future__ import annotations

import threading
import time


class RateLimit:
    """`take(n)` returns once n more bytes fit in `rate` bytes per second across all callers;
    a rate of None or 0 means no limit."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.lock = threading.Lock()
        self.allowance_at = time.monotonic()

    def take(self, nbytes: int) -> None:
        if not self.rate:
            return
        with self.lock:
            now = time.monotonic()
            self.allowance_at = max(self.allowance_at, now) + nbytes / self.rate
            wait = self.allowance_at - now - nbytes / self.rate
        if wait > 0:
            time.sleep(wait)
