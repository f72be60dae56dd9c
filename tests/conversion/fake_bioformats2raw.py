"""A stand-in for bioformats2raw 0.11.0, for tests only.

The real program is Java and is not installable here (it is not on PyPI or Debian), so this
is the one outside program the suite fakes. Each behaviour below mirrors a line of its source
and says which; the tests in test_bioformats2raw.py check them one at a time.

Sources (read with the search tool):
- C = glencoesoftware/bioformats2raw src/main/java/com/glencoesoftware/bioformats2raw/
  Converter.java: option names, call(), convert(), main(). The stored source was read at
  two commits around v0.11.0 (one with CommandLine.call, one after Zarr v3 support); the
  v0.11.0 tag itself was not readable. main() uses CommandLine.execute since PR #287 (merged
  2025-09-01, before v0.11.0 was tagged in mid-September 2025): version exits 255.
- P = remkop/picocli CommandLine.execute (4.7): exit 2 on a ParameterException (message,
  then usage, on stderr), 1 on an exception from call() (stack trace on stderr), else the
  Integer call() returned, which main() passes to System.exit (so -1 is status 255).
- B = ctongfei/progressbar 0.9 DefaultProgressBarRenderer + ProgressBarStyle.ASCII, drawn by
  C's ProgressBarListener with task "[series/resolution]", one bar per resolution, on stderr
  ("\\r" + line; a newline when the bar closes).
- L = src/dist/lib/config/logback.xml: "%date [%thread] %-5level %logger{36} - %msg%n".

Steered by STANDIN_* variables for what a file cannot provoke: STANDIN_FAIL (oom, chunk,
silent, nospace, kill), STANDIN_SECONDS (slow progress), STANDIN_RECORD (argv and JAVA_OPTS).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

VERSION = "0.11.0"
BIOFORMATS_VERSION = "7.3.1"
NGFF_VERSION = "0.4"  # C: NGFF_VERSION; --ngff-version does not exist in 0.11.0
USAGE = (
    "Usage: <main class> [-p] [--help] [--keep-memo-files] [--no-hcs] [--[no-]minmax]\n"
    "                    [--[no-]nested] [--no-ome-meta-export] [--overwrite] [--version]\n"
    "                    [-c=<compressionType>] [-h=<tileHeight>] [-r=<pyramidResolutions>]\n"
    "                    [-w=<tileWidth>] <inputPath> <outputLocation>\n"
)
# C: every @Option of 0.11.0 this stand-in understands, by every name it declares.
VALUED = {
    "-w": "tile_width", "--tile-width": "tile_width", "--tile_width": "tile_width",
    "-h": "tile_height", "--tile-height": "tile_height", "--tile_height": "tile_height",
    "-r": "resolutions", "--resolutions": "resolutions",
    "-z": "chunk_depth", "--chunk-depth": "chunk_depth", "--chunk_depth": "chunk_depth",
    "--max-workers": "max_workers", "--max_workers": "max_workers",
    "--max-cached-tiles": "max_cached_tiles", "--max_cached_tiles": "max_cached_tiles",
    "-c": "compression", "--compression": "compression",
    "--compression-properties": "compression_properties",
    "--memo-directory": "memo_directory",
    "--log-level": "log_level",
    "-s": "series", "--series": "series",
    "--target-min-size": "target_min_size",
    "--dimension-order": "dimension_order",
}  # fmt: skip
FLAGS = {
    "-p": "progress", "--progress": "progress", "--overwrite": "overwrite",
    "--version": "version", "--help": "help", "--no-hcs": "no_hcs",
    "--no-minmax": "no_minmax", "--compact": "compact", "--no-tiles": "no_tiles",
    "--warn-no-exec": "warn_no_exec", "--debug": "debug",
}  # fmt: skip
COMPRESSIONS = ("raw", "zlib", "blosc")  # C: enum ZarrCompression { raw, zlib, blosc }
LOG_LEVELS = ("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")


class UsageError(Exception):
    """picocli's ParameterException."""


def log(level: str, message: str) -> None:
    """L: logback's console pattern (stdout in 0.11.0's logback.xml)."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    print(f"{stamp} [main] {level:<5} c.g.bioformats2raw.Converter - {message}", flush=True)


def stack_trace(exception: str, message: str) -> str:
    return (
        f"{exception}: {message}\n"
        "\tat com.glencoesoftware.bioformats2raw.Converter.call(Converter.java:1)\n"
        "\tat picocli.CommandLine.executeUserObject(CommandLine.java:2041)\n"
    )


def fail(exception: str, message: str) -> int:
    """P: an exception from call() -> stack trace on stderr, exit 1."""
    sys.stderr.write(stack_trace(exception, message))
    sys.stderr.flush()
    return 1


def parse(argv: list[str]) -> dict[str, object]:
    options: dict[str, object] = {"positionals": [], "compression_properties": []}
    items = iter(argv)
    for item in items:
        name, _, inline = item.partition("=") if item.startswith("-") else (item, "", "")
        if name in FLAGS:
            options[FLAGS[name]] = True
        elif name in VALUED:
            value = inline or next(items, None)
            if value is None:
                raise UsageError(f"Missing required parameter for option '{name}'")
            key = VALUED[name]
            if key == "compression_properties":
                options[key].append(value)  # type: ignore[union-attr]
            else:
                options[key] = value
        elif item.startswith("-") and item != "-":
            raise UsageError(f"Unknown option: '{item}'")
        else:
            options["positionals"].append(item)  # type: ignore[union-attr]
    if len(options["positionals"]) > 2:  # type: ignore[arg-type]
        raise UsageError(f"Unmatched argument at index {len(argv) - 1}: '{argv[-1]}'")
    if options.get("compression", "blosc") not in COMPRESSIONS:
        raise UsageError(
            f"Invalid value for option '--compression': expected one of {list(COMPRESSIONS)} "
            f"(case-sensitive) but was '{options['compression']}'"
        )
    for key in ("tile_width", "tile_height", "resolutions", "max_workers"):
        if key in options:
            try:
                int(str(options[key]))
            except ValueError:
                raise UsageError(f"Invalid value for option '--{key}'") from None
    return options


def java_tmpdir() -> Path:
    for option in os.environ.get("JAVA_OPTS", "").split():
        if option.startswith("-Djava.io.tmpdir="):
            return Path(option.split("=", 1)[1])
    return Path("/tmp")


def draw_bars(series: int, tiles_per_level: list[int], seconds: float) -> None:
    """B: one bar per resolution; ASCII style, 78 columns, redrawn with \\r, then \\n."""
    for resolution, total in enumerate(tiles_per_level):
        started = time.monotonic()
        for done in range(total + 1):
            elapsed = int(time.monotonic() - started)
            percent = f"{100 * done // total}%".rjust(4)
            ratio = f"{str(done).rjust(len(str(total)))}/{total}"
            clock = f"{elapsed // 3600}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}"
            prefix, suffix = f"[{series}/{resolution}] {percent} [", f"] {ratio} ({clock} / ?) "
            width = 78 - len(prefix) - len(suffix)
            filled = width * done // total
            bar = "=" * filled + (">" + " " * (width - filled - 1) if done < total else "")
            sys.stderr.write("\r" + prefix + bar + suffix)
            sys.stderr.flush()
            if seconds:
                time.sleep(seconds / max(1, sum(tiles_per_level)))
        sys.stderr.write("\n")


def convert(options: dict[str, object], source: Path, target: Path) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from submissions.conversion.builtin import convert as builtin_convert
    from submissions.conversion.builtin.sources import open_source
    from submissions.conversion.errors import UserFileError

    try:
        with open_source(path=source, name=source.name) as opened:
            shapes = [info.shape for info in opened.series]
    except UserFileError as error:
        if error.code == "unsupported_format":
            # C: getBaseReaderClass() -> ImageReader.setId throws UnknownFormatException.
            return fail("loci.formats.UnknownFormatException", f"Unknown file format: {source}")
        return fail("loci.formats.FormatException", error.message)
    failure = os.environ.get("STANDIN_FAIL", "")
    if failure == "silent":
        # C: convert(): `LOGGER.error("Failed to instantiate reader: {}", ...); return;`
        log("ERROR", "Failed to instantiate reader: class loci.formats.in.TiffReader")
        return 0
    progress = bool(options.get("progress")) and options.get("log_level", "WARN") in (
        "OFF",
        "ERROR",
        "WARN",
    )
    tile = int(str(options.get("tile_width", 1024))), int(str(options.get("tile_height", 1024)))
    seconds = float(os.environ.get("STANDIN_SECONDS", "0"))
    for index, shape in enumerate(shapes):
        t, c, z, y, x = shape
        levels, tiles = [], []
        while True:
            tiles.append(-(-x // tile[0]) * -(-y // tile[1]) * z * c * t)
            levels.append((y, x))
            if max(y, x) <= 256:
                break
            y, x = max(1, y // 2), max(1, x // 2)
        if failure == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if progress:
            draw_bars(index, tiles, seconds)
        elif seconds:
            time.sleep(seconds)
    if failure == "oom":
        log("ERROR", "Error while writing series 0")
        return fail("java.lang.RuntimeException", "java.lang.OutOfMemoryError: Java heap space")
    if failure == "chunk":
        # C: the tile lambda logs this, completes exceptionally, and allOf().join() rethrows.
        log("ERROR", "Failure processing chunk; resolution=0 plane=3 xx=0 yy=0 zz=0")
        return fail("java.io.IOException", "Failure processing chunk; resolution=0 plane=3")
    if failure == "nospace":
        return fail("java.io.IOException", "No space left on device")
    compression = {"raw": "none", "zlib": "blosc", "blosc": "blosc"}[
        str(options.get("compression", "blosc"))
    ]
    builtin_convert(
        input_path=source,
        output=target,
        tile_width=tile[0],
        tile_height=tile[1],
        resolutions=int(str(options["resolutions"])) if "resolutions" in options else None,
        compression=compression,
        max_workers=1,
        ngff_version=NGFF_VERSION,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    record = os.environ.get("STANDIN_RECORD")
    if record:
        Path(record).write_text(
            json.dumps({"argv": argv, "java_opts": os.environ.get("JAVA_OPTS")})
        )
    try:
        options = parse(argv)
    except UsageError as error:
        # P: ParameterException -> message and usage on stderr, exitCodeOnInvalidInput (2).
        sys.stderr.write(f"{error}\n{USAGE}")
        return 2
    if options.get("help"):
        # P: usageHelp=true is answered by picocli itself, on stdout, exitCodeOnUsageHelp (0).
        sys.stdout.write(USAGE)
        return 0
    if options.get("version"):
        # C: call(): `if (printVersion) { println x3; return -1; }`; main: System.exit(-1).
        print(f"Version = {VERSION}")
        print(f"Bio-Formats version = {BIOFORMATS_VERSION}")
        print(f"NGFF specification version = {NGFF_VERSION}")
        return 255
    if str(options.get("log_level", "WARN")).upper() not in LOG_LEVELS:
        return fail("java.lang.IllegalArgumentException", "invalid log level")
    positionals = options["positionals"]
    if not positionals:  # C: call(): throw new IllegalArgumentException("Input path not ...")
        return fail("java.lang.IllegalArgumentException", "Input path not specified")
    if len(positionals) < 2:  # type: ignore[arg-type]
        return fail("java.lang.IllegalArgumentException", "Output location not specified")
    source, target = (Path(p) for p in positionals)  # type: ignore[union-attr]
    tmpdir = java_tmpdir()
    probe = tmpdir / f"noexec-test{os.getpid()}.txt"
    try:
        # C: call(): File.createTempFile("noexec-test") + setExecutable/canExecute (in the
        # master source read; which release first had it was not visible).
        probe.write_bytes(b"")
        probe.chmod(0o755)
        if not os.access(probe, os.X_OK) and not options.get("warn_no_exec"):
            return fail("java.lang.RuntimeException", f"{tmpdir} is noexec; fix it")
    except OSError as error:
        return fail("java.io.IOException", str(error))
    finally:
        probe.unlink(missing_ok=True)
    if target.exists() and not options.get("overwrite"):
        # C: call(): `throw new IllegalArgumentException("Output path ... already exists")`
        return fail("java.lang.IllegalArgumentException", f"Output path {target} already exists")
    if not source.exists():
        return fail("java.io.FileNotFoundException", f"{source} (No such file or directory)")
    return convert(options, source, target)


if __name__ == "__main__":
    sys.exit(main())
