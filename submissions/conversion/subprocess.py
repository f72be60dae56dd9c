"""The one helper through which Aperture runs every external program.

An argument list (never a shell), stdout and stderr merged and streamed line by line, a
wall-clock limit that kills the whole process group, an optional address-space limit, and
(on Linux) a child that is killed when the process running it dies.
Callers map a program's own exit codes to domain errors; :func:`limit_failure` maps the
outcomes this helper itself causes (time limit, SIGKILL) the same way for every program.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import re
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from submissions.conversion.errors import ApplicationError

# Enough lines to see a Java stack trace or a Python traceback in an admin's report.
_TAIL_LINES = 200
# After SIGTERM on timeout, how long the group gets to exit before SIGKILL.
_TERM_GRACE_S = 3.0
_SEPARATORS = re.compile(rb"(\r\n|\r|\n)")
# From <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class CompletedRun:
    """What happened to one child process.

    ``returncode`` follows the shell convention: a child killed by signal N reports 128 + N
    (so SIGKILL is 137, as the kernel's OOM killer or a container runtime would show it).
    """

    args: list[str]
    returncode: int
    output_tail: str
    duration_s: float
    timed_out: bool = False
    signal: int | None = None
    lines: int = field(default=0)

    @property
    def killed(self) -> bool:
        return self.signal == signal.SIGKILL

    def describe(self) -> str:
        """A one-line account for logs and error details."""
        program = Path(self.args[0]).name if self.args else "?"
        if self.timed_out:
            return f"{program} exceeded its time limit after {self.duration_s:.0f}s and was killed"
        if self.signal is not None:
            name = signal.Signals(self.signal).name
            hint = " (likely out of memory)" if self.killed else ""
            return f"{program} was killed by {name}{hint} after {self.duration_s:.0f}s"
        return f"{program} exited with code {self.returncode} after {self.duration_s:.1f}s"


def _load_prctl() -> Callable[[int, int, int, int, int], int] | None:
    """libc's prctl(2) on Linux, else None.

    Resolved once, in the parent: loading a library between fork and exec is not safe.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl()


def _child_setup(*, memory_limit_bytes: int | None) -> Callable[[], None]:
    """What the child does between fork and exec: die with its parent, cap its memory.

    A worker that is SIGKILLed (OOM killer, container stop, ``kill -9``) cannot kill its
    converter, and the child is in its own session, so nothing else would: without the
    death signal it runs on, holding CPU, memory and scratch files. The kernel sends the
    signal when the *thread* that forked the child exits; run_subprocess blocks that thread
    until the child is gone, so that is the same as the parent dying. The signal survives
    exec (a launcher script that execs java keeps it) but is not inherited by grandchildren.
    """
    parent = os.getpid()
    prctl = _PRCTL

    def apply() -> None:
        # Runs in the child between fork and exec: only async-signal-safe work here.
        if prctl is not None:
            # A failure (seccomp, say) is not worth refusing the run for: it only loses the
            # clean-up, and the child cannot report it anyway.
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                # The parent died before prctl took effect: no signal will come.
                os.kill(os.getpid(), signal.SIGKILL)
        if memory_limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))

    return apply


def _kill_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


class _LineSplitter:
    """Splits a byte stream on \\n and \\r: progress bars redraw with \\r, not \\n."""

    def __init__(self, on_line: Callable[[str], None] | None) -> None:
        self._on_line = on_line
        self._pending = b""
        self.tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._last_was_redraw = False
        self.count = 0

    def feed(self, data: bytes) -> None:
        parts = _SEPARATORS.split(self._pending + data)
        # split() with a capturing group alternates text and separator; the last text has
        # no separator yet and waits for the next read.
        self._pending = parts[-1]
        for text, separator in zip(parts[0:-1:2], parts[1:-1:2], strict=True):
            self._emit(text, redraw=separator == b"\r")

    def close(self) -> None:
        if self._pending:
            self._emit(self._pending, redraw=False)
            self._pending = b""

    def _emit(self, raw: bytes, *, redraw: bool) -> None:
        line = raw.decode("utf-8", errors="replace").rstrip()
        if not line:
            return
        self.count += 1
        # Consecutive redraws of a progress bar collapse to the latest, so thousands of
        # them do not push the error message that follows out of the tail.
        if redraw and self._last_was_redraw and self.tail:
            self.tail.pop()
        self.tail.append(line)
        self._last_was_redraw = redraw
        if self._on_line is not None:
            self._on_line(line)


def run_subprocess(
    *,
    args: list[str],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout_s: float,
    memory_limit_bytes: int | None = None,
    on_line: Callable[[str], None] | None = None,
) -> CompletedRun:
    """Run ``args`` to completion and report how it ended.

    ``env`` replaces the environment when given (pass ``{**os.environ, ...}`` to extend it).
    ``memory_limit_bytes`` caps the child's address space (RLIMIT_AS): an allocation past it
    fails inside the child (Python raises MemoryError) rather than the machine swapping. Do
    not use it for the JVM, which reserves far more address space than it ever touches.
    ``on_line`` is called from this thread for every line, including \\r-redrawn ones.
    Raises ``OSError`` only when the program cannot be started at all.
    """
    if not args or not all(isinstance(arg, str) for arg in args):
        raise ValueError("args must be a non-empty list of strings")
    splitter = _LineSplitter(on_line)
    started = time.monotonic()
    process = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        # Own process group, so a timeout kills grandchildren (java, workers) too.
        start_new_session=True,
        preexec_fn=_child_setup(memory_limit_bytes=memory_limit_bytes),
    )
    if process.stdout is None:  # pragma: no cover - stdout=PIPE guarantees a pipe
        raise RuntimeError("no output pipe")
    deadline = started + timeout_s
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        fd = process.stdout.fileno()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if not selector.select(timeout=min(remaining, 1.0)):
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            splitter.feed(data)
    if timed_out:
        _kill_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_TERM_GRACE_S)
        _kill_group(process, signal.SIGKILL)
    process.wait()
    # Children that outlive the leader (forked helpers) must not linger holding scratch files.
    _kill_group(process, signal.SIGKILL)
    process.stdout.close()
    splitter.close()
    returncode = process.returncode
    sig: int | None = None
    if returncode < 0:
        sig = -returncode
        returncode = 128 + sig
    return CompletedRun(
        args=list(args),
        returncode=returncode,
        output_tail="\n".join(splitter.tail),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        signal=sig,
        lines=splitter.count,
    )


def limit_failure(run: CompletedRun) -> ApplicationError | None:
    """The error for a run that hit a limit or was killed, or None if it ended by itself."""
    if run.timed_out:
        # Not transient: the same file on the same worker will take as long next time.
        return ApplicationError(
            code="timeout",
            message="Conversion took longer than its time limit and was stopped.",
            details=f"{run.describe()}\n{run.output_tail}",
        )
    if run.returncode == 128 + signal.SIGKILL:
        # SIGKILL from outside is usually the OOM killer, whose verdict depends on what else
        # ran on the machine at the time: worth one more try.
        return ApplicationError(
            code="killed",
            message="The converter was killed (likely out of memory).",
            details=f"{run.describe()}\n{run.output_tail}",
            transient=True,
        )
    return None
