"""Claiming background work, keeping the claim alive, and giving it back.

Shared by conversion jobs and publications (both `_ClaimedWork` rows): a worker claims a
queued row with a conditional update that sets a fresh `claim_token`; every later write is
conditional on that token, so a worker whose claim the sweeper took back (it stopped
heart-beating) cannot overwrite the newer attempt's results.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Model
from django.utils import timezone

from submissions.processing.models import JobState

logger = logging.getLogger(__name__)


def claim(*, model: type[Model], pk: Any) -> uuid.UUID | None:
    """QUEUED -> RUNNING for this worker; None when someone else has it (or it is done)."""
    token = uuid.uuid4()
    now = timezone.now()
    claimed = model._default_manager.filter(pk=pk, state=JobState.QUEUED).update(
        state=JobState.RUNNING,
        claim_token=token,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        finished_at=None,
    )
    return token if claimed else None


def owned(*, model: type[Model], pk: Any, token: uuid.UUID) -> Any:
    """The row filtered on our claim: update() on it is a no-op once the claim is lost."""
    return model._default_manager.filter(pk=pk, state=JobState.RUNNING, claim_token=token)


def backoff_seconds(*, attempts: int) -> float:
    base = float(settings.PROCESSING_RETRY_BACKOFF_SECONDS)
    return float(min(base * 2 ** max(attempts - 1, 0), 3600.0))


def requeue_later(*, model: type[Model], pk: Any, token: uuid.UUID, delay_s: float) -> bool:
    """Give the claim back for a retry after `delay_s`; False if the claim was already lost."""
    return bool(
        owned(model=model, pk=pk, token=token).update(
            state=JobState.QUEUED,
            claim_token=None,
            due_at=timezone.now() + timedelta(seconds=delay_s),
        )
    )


class Heartbeat:
    """Keeps `heartbeat_at` fresh and flushes the latest progress while slow work runs.

    Progress callbacks may come from any thread (upload pool, converter output reader):
    they only store the value; one writer thread owns the database connection. Inside an
    open transaction (Celery eager mode in a test) a second connection would wait on the
    test's locks, so the thread is not started and `flush()` is called at stage boundaries.
    """

    def __init__(
        self,
        *,
        model: type[Model],
        pk: Any,
        token: uuid.UUID,
        progress_field: str | None = None,
    ) -> None:
        self._model, self._pk, self._token = model, pk, token
        self._progress_field = progress_field
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    def set(self, **values: Any) -> None:
        with self._lock:
            self._values.update(values)

    def progress(self, fraction: float, *, start: float = 0.0, end: float = 1.0) -> None:
        if self._progress_field:
            self.set(**{self._progress_field: round(start + (end - start) * fraction, 4)})

    def flush(self) -> None:
        with self._lock:
            values, self._values = self._values, {}
        updated = owned(model=self._model, pk=self._pk, token=self._token).update(
            heartbeat_at=timezone.now(), **values
        )
        if not updated and not self.lost:
            self.lost = True
            logger.warning("claim on %s %s was taken back", self._model.__name__, self._pk)

    def _run(self) -> None:
        interval = min(float(settings.PROCESSING_HEARTBEAT_SECONDS), 1.0)
        beat_every = float(settings.PROCESSING_HEARTBEAT_SECONDS)
        last_beat = 0.0
        elapsed = 0.0
        try:
            while not self._stop.wait(interval):
                elapsed += interval
                with self._lock:
                    pending = bool(self._values)
                if pending or elapsed - last_beat >= beat_every:
                    try:
                        self.flush()
                        last_beat = elapsed
                    except Exception:  # a lost DB connection must not kill the job
                        logger.exception("heartbeat failed")
                        close_old_connections()
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        else:
            self.flush()
