"""Run the real bioformats2raw (Java, Bio-Formats) with an explicit argument list.

Every option is spelled out, never left to the tool's defaults, so the provenance record
says exactly what was run. The JVM heap and temporary directory are set per job through
JAVA_OPTS (read by bioformats2raw's launcher script); the address-space rlimit is not used
because the JVM reserves far more virtual memory than it touches and would not start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.subprocess import CompletedRun, limit_failure, run_subprocess

CONVERTER_NAME = "bioformats2raw"
# Heap is this share of the job's memory budget: the JVM adds metaspace, thread stacks,
# code cache and Blosc's native buffers on top of -Xmx.
_HEAP_SHARE = 0.75
_CHUNK_FAILURE = "Failure processing chunk"
# me.tongfei progressbar, as bioformats2raw --progress draws it (redrawn with \r):
#   "[0/0] 42% │█████▏      │ 420/1000 (0:00:03 / 0:00:04)"
_PROGRESS = re.compile(r"^(?P<task>.*?)\s*(?P<percent>\d{1,3})%.*?(?P<done>\d+)/(?P<total>\d+)")
# picocli's messages for a command line it rejects (exit 2): our mistake, not the file's.
_USAGE_ERROR = re.compile(r"Unknown option|Missing required|Invalid value|Usage: bioformats2raw")
_COMPRESSION_ARGS = {
    "blosc": ["--compression", "blosc"],
    # bioformats2raw has no plain zstd; Blosc's zstd at level 1 is its nearest equivalent.
    "zstd": [
        "--compression",
        "blosc",
        "--compression-properties",
        "cname=zstd",
        "--compression-properties",
        "clevel=1",
    ],
    "none": ["--compression", "null"],
}


@dataclass(frozen=True)
class Bioformats2rawRun:
    converter: str
    version: str
    args: list[str]
    run: CompletedRun


class ProgressParser:
    """Turns progress-bar lines into one overall fraction that never goes backwards.

    bioformats2raw draws one bar per (series, resolution) task and does not say up front how
    many there are, so the fraction is tiles done over tiles seen, capped below 1 until the
    process ends. Level 0 holds about 3/4 of all tiles, so this is close for one series.
    """

    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self._callback = callback
        self._tasks: dict[str, tuple[int, int]] = {}
        self._fraction = 0.0

    def feed(self, line: str) -> None:
        match = _PROGRESS.search(line)
        if match is None:
            return
        done, total = int(match["done"]), int(match["total"])
        if total <= 0 or done > total:
            return
        self._tasks[match["task"].strip()] = (done, total)
        seen = sum(t for _, t in self._tasks.values())
        fraction = min(sum(d for d, _ in self._tasks.values()) / seen, 0.99)
        if fraction > self._fraction:
            self._fraction = fraction
            if self._callback is not None:
                self._callback(fraction)

    @property
    def fraction(self) -> float:
        return self._fraction


def build_args(
    *,
    executable: str,
    input_path: Path,
    output_path: Path,
    ngff_version: str = "0.5",
    tile_width: int = 1024,
    tile_height: int = 1024,
    resolutions: int | None = None,
    max_workers: int = 1,
    compression: str = "blosc",
    overwrite: bool = False,
    progress: bool = True,
) -> list[str]:
    """The complete command line, options first (picocli accepts either order)."""
    if compression not in _COMPRESSION_ARGS:
        raise ValueError(f"unknown compression {compression!r}")
    args = [
        executable,
        "--ngff-version",
        ngff_version,
        "--tile_width",
        str(tile_width),
        "--tile_height",
        str(tile_height),
        "--max_workers",
        str(max_workers),
        *_COMPRESSION_ARGS[compression],
    ]
    if resolutions is not None:
        args += ["--resolutions", str(resolutions)]
    if overwrite:
        args.append("--overwrite")
    if progress:
        args.append("--progress")
    return [*args, str(input_path), str(output_path)]


def java_env(
    *, memory_limit_bytes: int | None, scratch_dir: Path, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment with JAVA_OPTS for this job: heap size and a private java.io.tmpdir."""
    env = dict(os.environ if base is None else base)
    options = [f"-Djava.io.tmpdir={scratch_dir}"]
    if memory_limit_bytes:
        heap_mb = max(int(memory_limit_bytes * _HEAP_SHARE) // 2**20, 256)
        options.insert(0, f"-Xmx{heap_mb}m")
    env["JAVA_OPTS"] = " ".join(options)
    return env


def bioformats2raw_version(*, executable: str, timeout_s: float = 120.0) -> str:
    """The version bioformats2raw reports ("Version = 0.9.1" -> "0.9.1")."""
    try:
        run = run_subprocess(args=[executable, "--version"], timeout_s=timeout_s)
    except OSError as error:
        raise ApplicationError(
            code="converter_missing",
            message=f"bioformats2raw cannot be started at {executable}: {error}",
        ) from error
    if run.returncode != 0:
        raise ApplicationError(
            code="converter_missing",
            message=f"bioformats2raw --version failed ({run.describe()})",
            details=run.output_tail,
        )
    for line in run.output_tail.splitlines():
        key, _, value = line.partition("=")
        if key.strip().lower() == "version" and value.strip():
            return value.strip()
    return run.output_tail.splitlines()[0].strip() if run.output_tail else "unknown"


def _raise_for_outcome(run: CompletedRun, *, input_name: str) -> None:
    limit = limit_failure(run)
    if limit is not None:
        raise limit
    details = f"{run.describe()}\n{run.output_tail}"
    # A chunk that failed to write can leave a hole in the output while the tool still exits
    # 0, so the message wins over the exit code.
    if _CHUNK_FAILURE in run.output_tail:
        raise ApplicationError(
            code="chunk_failure",
            message="bioformats2raw failed to write part of the image.",
            details=details,
            transient=True,
        )
    if run.returncode == 0:
        return
    if run.returncode == 2 and _USAGE_ERROR.search(run.output_tail):
        raise ApplicationError(
            code="converter_usage",
            message="bioformats2raw rejected the options Aperture passed to it.",
            details=details,
        )
    if run.returncode in (1, 2):
        raise UserFileError(
            code="unreadable_input" if run.returncode == 1 else "unsupported_input",
            message=(
                f"Bio-Formats could not read {input_name}. The file may be damaged, "
                "incomplete (a multi-file dataset missing its companion files), or in a "
                "format Bio-Formats does not support. Please check the file and upload it "
                "again, or export it as OME-TIFF."
            ),
            details=details,
        )
    raise ApplicationError(
        code="converter_failed",
        message=f"bioformats2raw failed with exit code {run.returncode}.",
        details=details,
        # 255 is the JVM failing to start or an uncaught error: retrying may help once.
        transient=run.returncode == 255,
    )


def run_bioformats2raw(
    *,
    executable: str,
    input_path: Path,
    output_path: Path,
    scratch_dir: Path,
    timeout_s: float,
    memory_limit_bytes: int | None,
    max_workers: int = 1,
    ngff_version: str = "0.5",
    tile_width: int = 1024,
    tile_height: int = 1024,
    resolutions: int | None = None,
    compression: str = "blosc",
    on_progress: Callable[[float], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> Bioformats2rawRun:
    """Convert with bioformats2raw; raise UserFileError/ApplicationError on failure.

    Does not validate the output: the caller must (see validate.validate_output).
    """
    version = bioformats2raw_version(executable=executable)
    args = build_args(
        executable=executable,
        input_path=input_path,
        output_path=output_path,
        ngff_version=ngff_version,
        tile_width=tile_width,
        tile_height=tile_height,
        resolutions=resolutions,
        max_workers=max_workers,
        compression=compression,
    )
    parser = ProgressParser(on_progress)

    def handle(line: str) -> None:
        parser.feed(line)
        if on_line is not None:
            on_line(line)

    try:
        run = run_subprocess(
            args=args,
            env=java_env(memory_limit_bytes=memory_limit_bytes, scratch_dir=scratch_dir),
            cwd=scratch_dir,
            timeout_s=timeout_s,
            memory_limit_bytes=None,
            on_line=handle,
        )
    except OSError as error:
        raise ApplicationError(
            code="converter_missing", message=f"bioformats2raw cannot be started: {error}"
        ) from error
    _raise_for_outcome(run, input_name=Path(input_path).name)
    if on_progress is not None:
        on_progress(1.0)
    return Bioformats2rawRun(converter=CONVERTER_NAME, version=version, args=args, run=run)
