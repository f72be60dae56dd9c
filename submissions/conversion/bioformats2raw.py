"""Run the real bioformats2raw (Java, Bio-Formats) with an explicit argument list.

Aperture pins one bioformats2raw release, in ``bioformats2raw.version`` beside this module
(the worker image downloads that release; the README names the file). Everything below
follows that release's command-line contract as its source states it
(glencoesoftware/bioformats2raw, ``Converter.java``; picocli 4.7 ``CommandLine.execute``):

* ``--version`` prints ``Version = X`` / ``Bio-Formats version = Y`` /
  ``NGFF specification version = Z`` and ``call()`` returns -1, which ``main`` hands to
  ``System.exit``: the process ends with status 255. The version is read from the output
  whatever the status.
* Exit 0 is success, 1 an exception thrown while converting (picocli's
  ``exitCodeOnExecutionException``; the stack trace goes to stderr, so the exception class
  says whose fault it was), 2 a command line picocli rejected (``exitCodeOnInvalidInput``).
* Progress bars (``--progress``, only drawn at log level OFF/ERROR/WARN) come from
  me.tongfei:progressbar with the ASCII style, one per (series, resolution), redrawn with \\r:
  ``[0/1]  42% [=====>      ] 420/1000 (0:00:03 / 0:00:04)``.
* 0.11.0 writes NGFF 0.4 on Zarr v2 only: ``--ngff-version`` arrived after it.

The JVM heap and temporary directory are set per job through JAVA_OPTS (read by the
Gradle launcher script); the address-space rlimit is not used because the JVM reserves far
more virtual memory than it touches and would not start. Exit 0 is never trusted alone: the
caller validates the output (some failures log an error and return without an exception).
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
PINNED_VERSION = (Path(__file__).with_name("bioformats2raw.version")).read_text().strip()
# What the pinned release writes (Converter.NGFF_VERSION before Zarr v3 support).
OUTPUT_NGFF_VERSION = "0.4"
# Heap is this share of the job's memory budget: the JVM adds metaspace, thread stacks,
# code cache and Blosc's native buffers on top of -Xmx.
_HEAP_SHARE = 0.75
# Converter.call(): `if (printVersion) { ...println...; return -1; }` -> System.exit(-1).
VERSION_EXIT = 255
# picocli CommandLine.ExitCode: OK 0, SOFTWARE 1 (exception in call()), USAGE 2.
EXIT_EXCEPTION = 1
EXIT_USAGE = 2
# ProgressBarListener: task "[series/resolution]", ProgressBarStyle.ASCII, rendered by
# DefaultProgressBarRenderer as "TASK PPP% [bar] current/max (elapsed / eta) ".
_PROGRESS = re.compile(
    r"^\[(?P<series>\d+)/(?P<resolution>\d+)\]\s+(?P<percent>\d{1,3})%\s+\[[^\]]*\]\s+"
    r"(?P<done>\d+)/(?P<total>\d+)\s+\("
)
# Converter.convert() logs these and returns without an exception: exit 0, no output.
_SILENT_FAILURES = ("Failed to instantiate reader", "Could not retrieve OME-XML")
# jzarr's Blosc properties (cname, clevel, shuffle); ZarrCompression enum: raw, zlib, blosc.
_COMPRESSION_ARGS = {
    "blosc": ["--compression", "blosc"],
    # No plain zstd on Zarr v2 here: Blosc with the zstd codec at level 1 is the nearest.
    "zstd": [
        "--compression",
        "blosc",
        "--compression-properties",
        "cname=zstd",
        "--compression-properties",
        "clevel=1",
    ],
    "none": ["--compression", "raw"],
}


@dataclass(frozen=True)
class Bioformats2rawRun:
    converter: str
    version: str
    args: list[str]
    run: CompletedRun


class ProgressParser:
    """Turns progress-bar lines into one overall fraction that never goes backwards.

    bioformats2raw draws one bar per (series, resolution) and announces each only when it
    starts, so the fraction is tiles done over tiles seen, capped below 1 until the process
    ends. Level 0 holds about 3/4 of all tiles, so this is close for one series.
    """

    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self._callback = callback
        self._tasks: dict[tuple[int, int], tuple[int, int]] = {}
        self._fraction = 0.0

    def feed(self, line: str) -> None:
        match = _PROGRESS.match(line.strip())
        if match is None:
            return
        done, total = int(match["done"]), int(match["total"])
        if total <= 0 or done > total:
            return
        self._tasks[int(match["series"]), int(match["resolution"])] = (done, total)
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
    memo_dir: Path,
    tile_width: int = 1024,
    tile_height: int = 1024,
    resolutions: int | None = None,
    max_workers: int = 1,
    compression: str = "blosc",
    progress: bool = True,
) -> list[str]:
    """The complete command line, every option spelled as Converter.java names it."""
    if compression not in _COMPRESSION_ARGS:
        raise ValueError(f"unknown compression {compression!r}")
    args = [
        executable,
        "--tile-width",
        str(tile_width),
        "--tile-height",
        str(tile_height),
        "--max-workers",
        str(max_workers),
        *_COMPRESSION_ARGS[compression],
        # .bfmemo caches go to the job's scratch, not beside the input.
        "--memo-directory",
        str(memo_dir),
        # Bars are drawn only at OFF/ERROR/WARN; above that they go to the TRACE log.
        "--log-level",
        "WARN",
    ]
    if resolutions is not None:
        args += ["--resolutions", str(resolutions)]
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


def parse_version(output: str) -> str | None:
    """ "Version = 0.11.0" -> "0.11.0"; None when no such line was printed."""
    for line in output.splitlines():
        key, _, value = line.partition("=")
        if key.strip().lower() == "version" and value.strip():
            return value.strip()
    return None


def bioformats2raw_version(*, executable: str, timeout_s: float = 120.0) -> str:
    """The version bioformats2raw reports, read from its output whatever its exit status.

    The pinned release exits 255 after printing it; older ones exit 0. A run that prints no
    version (no Java, a broken install) is ``converter_missing``.
    """
    try:
        run = run_subprocess(args=[executable, "--version"], timeout_s=timeout_s)
    except OSError as error:
        raise ApplicationError(
            code="converter_missing",
            message=f"bioformats2raw cannot be started at {executable}: {error}",
        ) from error
    version = parse_version(run.output_tail)
    if version is None:
        raise ApplicationError(
            code="converter_missing",
            message=f"bioformats2raw --version printed no version ({run.describe()})",
            details=run.output_tail,
        )
    return version


def _user_error(code: str, input_name: str, why: str, details: str) -> UserFileError:
    return UserFileError(
        code=code,
        message=(
            f"Bio-Formats could not read {input_name}: {why} Please check the file (a "
            "multi-file dataset needs all its companion files, uploaded together) and upload "
            "it again, or export it as OME-TIFF."
        ),
        details=details,
    )


def _exception_error(run: CompletedRun, *, input_name: str, details: str) -> Exception:
    """Exit 1: an exception escaped Converter.call(); its class says whose fault it is."""
    tail = run.output_tail
    if "OutOfMemoryError" in tail:
        return ApplicationError(
            code="out_of_memory",
            message="bioformats2raw ran out of Java heap (raise CONVERSION_MEMORY_LIMIT_BYTES).",
            details=details,
        )
    if "is noexec" in tail:  # Converter.call()'s check of java.io.tmpdir
        return ApplicationError(
            code="scratch_noexec",
            message="The conversion scratch directory is mounted noexec; Java cannot use it.",
            details=details,
        )
    if "No space left on device" in tail:
        return ApplicationError(
            code="scratch_full",
            message="The conversion worker ran out of disk space.",
            details=details,
            transient=True,
        )
    if "already exists" in tail:
        return ApplicationError(
            code="output_exists",
            message="bioformats2raw refused to write over an existing output directory.",
            details=details,
        )
    if "loci.formats.UnknownFormatException" in tail:
        return _user_error(
            "unsupported_input", input_name, "it is not in a format Bio-Formats knows.", details
        )
    # A Bio-Formats exception, or any exception thrown from inside one of its readers.
    if re.search(
        r"loci\.formats\.FormatException|EOFException|FileNotFound|\bat loci\.formats\.in\.", tail
    ):
        return _user_error("unreadable_input", input_name, "it is damaged or incomplete.", details)
    return ApplicationError(
        code="converter_failed", message="bioformats2raw failed (exit code 1).", details=details
    )


def _raise_for_outcome(run: CompletedRun, *, input_name: str) -> None:
    limit = limit_failure(run)
    if limit is not None:
        raise limit
    details = f"{run.describe()}\n{run.output_tail}"
    if run.returncode == 0:
        for marker in _SILENT_FAILURES:
            if marker in run.output_tail:
                raise ApplicationError(
                    code="converter_failed",
                    message=f"bioformats2raw stopped early: {marker}.",
                    details=details,
                )
        return
    if run.returncode == EXIT_EXCEPTION:
        raise _exception_error(run, input_name=input_name, details=details)
    if run.returncode == EXIT_USAGE:
        raise ApplicationError(
            code="converter_usage",
            message=(
                "bioformats2raw rejected the options Aperture passed to it (is the installed "
                f"version the pinned {PINNED_VERSION}?)."
            ),
            details=details,
        )
    raise ApplicationError(
        code="converter_failed",
        message=f"bioformats2raw failed with exit code {run.returncode}.",
        details=details,
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
        memo_dir=scratch_dir,
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
