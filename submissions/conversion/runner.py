"""Convert one file in a child process, validate the result, and record its provenance.

This is the function the conversion task calls. Whichever converter runs, it runs as a child
process (wall-clock and memory limits, its own scratch directory, captured output), and its
output is validated before anything is reported as done.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from submissions.conversion import bioformats, bioformats2raw
from submissions.conversion.cli import ERROR_PREFIX, EXIT_USER_FILE
from submissions.conversion.errors import ApplicationError, ConversionError, UserFileError
from submissions.conversion.formats import needs_bioformats
from submissions.conversion.subprocess import CompletedRun, limit_failure, run_subprocess
from submissions.conversion.target import OutputLocation, S3Location, describe
from submissions.conversion.validate import validate_output

Converter = Literal["builtin", "bioformats2raw"]
# The directory holding the "submissions" package, so the child imports the same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass
class ConversionResult:
    """Provenance of one conversion: what ran, on what, how long, and what it produced."""

    converter: str
    converter_version: str
    args: list[str]
    input_path: str
    output_path: str
    input_sha256: str | None
    started_at: str
    finished_at: str
    convert_seconds: float
    validate_seconds: float
    output_bytes: int
    object_count: int
    validation: dict[str, Any] = field(default_factory=dict)
    output_tail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _BuiltinOutput:
    """Collects the built-in converter's machine-readable stdout/stderr lines."""

    def __init__(self, on_progress: Callable[[float], None] | None) -> None:
        self._on_progress = on_progress
        self.version = "unknown"
        self.error: dict[str, Any] | None = None

    def feed(self, line: str) -> None:
        if line.startswith("PROGRESS "):
            try:
                fraction = float(line.split()[1])
            except (IndexError, ValueError):
                return
            if self._on_progress is not None:
                self._on_progress(min(max(fraction, 0.0), 1.0))
        elif line.startswith("CONVERTER "):
            self.version = line.split(" ", 2)[2] if line.count(" ") >= 2 else "unknown"
        elif line.startswith(ERROR_PREFIX):
            try:
                self.error = json.loads(line[len(ERROR_PREFIX) :])
            except json.JSONDecodeError:
                self.error = None


def _builtin_error(run: CompletedRun, reported: dict[str, Any] | None) -> ConversionError:
    details = f"{run.describe()}\n{run.output_tail}"
    if reported is not None:
        code = str(reported.get("code", "converter_failed"))
        message = str(reported.get("message", "The converter failed."))
        if run.returncode == EXIT_USER_FILE:
            return UserFileError(code=code, message=message, details=details)
        return ApplicationError(
            code=code,
            message=message,
            details=details,
            transient=bool(reported.get("transient", False)),
        )
    if "MemoryError" in run.output_tail:
        return ApplicationError(
            code="out_of_memory",
            message="The converter exceeded its memory limit.",
            details=details,
        )
    return ApplicationError(
        code="converter_failed",
        message=f"The built-in converter failed with exit code {run.returncode}.",
        details=details,
    )


@dataclass(frozen=True)
class OutputFormat:
    """What the built-in converter writes: NGFF version and, for 0.5, the sharding."""

    ngff_version: str = "0.5"
    shard_bytes: int = 2**30
    shard_shape: tuple[int, ...] | None = None

    def cli_args(self) -> list[str]:
        args = ["--ngff-version", self.ngff_version, "--shard-bytes", str(self.shard_bytes)]
        if self.shard_shape:
            args += ["--shard-shape", ",".join(map(str, self.shard_shape))]
        return args


def _run_builtin(
    *,
    input_path: Path | S3Location,
    output_path: OutputLocation,
    scratch_dir: Path,
    timeout_s: float,
    memory_limit_bytes: int | None,
    max_workers: int,
    output_format: OutputFormat,
    on_progress: Callable[[float], None] | None,
    overwrite: bool = False,
    input_name: str | None = None,
) -> tuple[str, list[str], CompletedRun]:
    s3 = next((x for x in (output_path, input_path) if isinstance(x, S3Location)), None)
    args = [
        sys.executable,
        "-m",
        "submissions.conversion.cli",
        "convert",
        input_path.url if isinstance(input_path, S3Location) else str(input_path),
        output_path.url if isinstance(output_path, S3Location) else str(output_path),
        *(s3.cli_args()[1:] if s3 is not None else []),
        *(["--input-name", input_name] if input_name else []),
        "--max-workers",
        str(max_workers),
        *output_format.cli_args(),
        *(["--overwrite"] if overwrite else []),
        "--progress",
    ]
    env = {
        **os.environ,
        # S3 credentials travel in the environment, never in the (visible) arguments.
        **(s3.env() if s3 is not None else {}),
        "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])),
        # Each glibc malloc arena reserves 64 MiB of address space per thread; without a cap
        # a modest RLIMIT_AS is exhausted by reservations, not by data.
        "MALLOC_ARENA_MAX": "2",
        "TMPDIR": str(scratch_dir),
        "PYTHONUNBUFFERED": "1",
    }
    output = _BuiltinOutput(on_progress)
    run = run_subprocess(
        args=args,
        env=env,
        cwd=scratch_dir,
        timeout_s=timeout_s,
        memory_limit_bytes=memory_limit_bytes,
        on_line=output.feed,
    )
    limit = limit_failure(run)
    if limit is not None:
        raise limit
    if run.returncode != 0:
        raise _builtin_error(run, output.error)
    return f"{output.version}", args, run


def _bioformats_reads(path: Path) -> bool:
    """A file for bfconvert: only Bio-Formats reads it (and its name is not a document's)."""
    try:
        return needs_bioformats(path=path) and bioformats.offered_to_bioformats(path.name)
    except UserFileError:
        return False  # empty or not an image: the built-in converter says so


def _run_bfconvert_then_builtin(
    *,
    tools: bioformats.Tools,
    input_path: Path,
    output_path: OutputLocation,
    scratch_dir: Path,
    timeout_s: float,
    memory_limit_bytes: int | None,
    max_workers: int,
    output_format: OutputFormat,
    on_progress: Callable[[float], None] | None,
    overwrite: bool = False,
) -> tuple[str, list[str], CompletedRun]:
    """bfconvert to a tiled BigTIFF OME-TIFF in scratch, then the built-in converter streams
    it to OME-Zarr; the intermediate file is removed whatever happens."""
    started = time.monotonic()
    intermediate_dir = scratch_dir / "bfconvert"
    intermediate_dir.mkdir(parents=True, exist_ok=True)
    intermediate = intermediate_dir / "converted.ome.tif"

    def first_half(fraction: float) -> None:
        if on_progress is not None:
            on_progress(0.5 * fraction)

    def second_half(fraction: float) -> None:
        if on_progress is not None:
            on_progress(0.5 + 0.5 * fraction)

    try:
        converted = bioformats.to_ome_tiff(
            tools=tools,
            input_path=input_path,
            output_path=intermediate,
            scratch_dir=intermediate_dir,
            timeout_s=timeout_s,
            memory_limit_bytes=memory_limit_bytes,
            on_progress=first_half,
        )
        remaining = max(timeout_s - (time.monotonic() - started), 1.0)
        version, builtin_args, run = _run_builtin(
            input_path=intermediate,
            output_path=output_path,
            scratch_dir=scratch_dir,
            timeout_s=remaining,
            memory_limit_bytes=memory_limit_bytes,
            max_workers=max_workers,
            output_format=output_format,
            on_progress=second_half,
            overwrite=overwrite,
        )
    finally:
        shutil.rmtree(intermediate_dir, ignore_errors=True)
    versions = f"Bio-Formats {bioformats.bioformats_version(tools)}; aperture-builtin {version}"
    tail = f"{converted.output_tail[-2000:]}\n{run.output_tail}"
    combined = CompletedRun(
        args=[*converted.args, "&&", *run.args],
        returncode=run.returncode,
        output_tail=tail,
        duration_s=converted.duration_s + run.duration_s,
    )
    return versions, [*converted.args, "&&", *builtin_args], combined


def convert_file(
    *,
    input_path: Path | S3Location,
    output_path: OutputLocation,
    scratch_dir: Path,
    converter: Converter = "builtin",
    bioformats2raw_path: str | None = None,
    timeout_s: float = 6 * 3600,
    memory_limit_bytes: int | None = None,
    max_workers: int = 2,
    ngff_version: str = "0.5",
    output_format: OutputFormat | None = None,
    overwrite: bool = False,
    input_sha256: str | None = None,
    input_name: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> ConversionResult:
    """Convert ``input_path`` to OME-Zarr at ``output_path`` and validate it there.

    ``input_path`` is a local file, or an S3 object in the TIFF family (an S3Location whose
    prefix is the key; read by ranged GETs, nothing copied; ``input_name`` names it in
    messages). ``output_path`` is a folder or an S3 prefix (submissions.conversion.target): the
    built-in converter writes straight to it (an existing folder is refused unless
    ``overwrite``; an S3 prefix is always emptied first).
    bioformats2raw writes folders only. ``output_format`` (NGFF version, sharding) applies
    to the built-in converter; without it, ``ngff_version`` with the default sharding.
    ``scratch_dir`` must exist and belong to this job (the converter's temporary files go
    there). Raises UserFileError when the file is at fault, ApplicationError otherwise
    (including an output that fails validation).
    """
    scratch_dir = Path(scratch_dir)
    if not isinstance(output_path, S3Location):
        output_path = Path(output_path)
    output_format = output_format or OutputFormat(ngff_version=ngff_version)
    if isinstance(input_path, S3Location):
        # Streamed by ranged GETs: the TIFF family only, by the built-in converter only.
        if converter != "builtin":
            raise ValueError("only the built-in converter reads its input from S3")
        if isinstance(output_path, S3Location) and (
            output_path.endpoint_url,
            output_path.access_key,
        ) != (input_path.endpoint_url, input_path.access_key):
            raise ValueError("an S3 input and an S3 output must share endpoint and credentials")
    else:
        input_path = Path(input_path)
        if not input_path.is_file():
            raise UserFileError(code="missing_input", message=f"No such file: {input_path.name}")
    started_at = datetime.now(UTC)
    started = time.monotonic()
    tools = bioformats.find_tools() if converter == "builtin" else None
    if tools is not None and isinstance(input_path, Path) and _bioformats_reads(input_path):
        name = "bfconvert+aperture-builtin"
        version, args, run = _run_bfconvert_then_builtin(
            tools=tools,
            input_path=input_path,
            output_path=output_path,
            scratch_dir=scratch_dir,
            timeout_s=timeout_s,
            memory_limit_bytes=memory_limit_bytes,
            max_workers=max_workers,
            output_format=output_format,
            on_progress=on_progress,
            overwrite=overwrite,
        )
    elif converter == "builtin":
        name = "aperture-builtin"
        version, args, run = _run_builtin(
            input_path=input_path,
            output_path=output_path,
            scratch_dir=scratch_dir,
            timeout_s=timeout_s,
            memory_limit_bytes=memory_limit_bytes,
            max_workers=max_workers,
            output_format=output_format,
            on_progress=on_progress,
            overwrite=overwrite,
            input_name=input_name,
        )
    elif converter == "bioformats2raw":
        if isinstance(output_path, S3Location) or isinstance(input_path, S3Location):
            raise ValueError("bioformats2raw writes to a folder; push its output afterwards")
        outcome = bioformats2raw.run_bioformats2raw(
            executable=bioformats2raw_path or "bioformats2raw",
            input_path=input_path,
            output_path=output_path,
            scratch_dir=scratch_dir,
            timeout_s=timeout_s,
            memory_limit_bytes=memory_limit_bytes,
            max_workers=max_workers,
            # The pinned release writes NGFF 0.4 whatever is asked (bioformats2raw.py).
            on_progress=on_progress,
        )
        name, version, args, run = outcome.converter, outcome.version, outcome.args, outcome.run
    else:
        raise ValueError(f"unknown converter {converter!r}")
    converted = time.monotonic()
    report = validate_output(output=output_path)
    finished = time.monotonic()
    return ConversionResult(
        converter=name,
        converter_version=version,
        args=args,
        input_path=describe(input_path),
        output_path=describe(output_path),
        input_sha256=input_sha256,
        started_at=started_at.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        convert_seconds=round(converted - started, 3),
        validate_seconds=round(finished - converted, 3),
        output_bytes=report.total_bytes,
        object_count=report.object_count,
        validation=report.as_dict(),
        output_tail=run.output_tail[-4000:],
    )
