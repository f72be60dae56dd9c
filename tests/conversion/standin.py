"""A stand-in for the bioformats2raw executable, for tests.

The real bioformats2raw is a Java program distributed outside PyPI/Debian, so it cannot be
installed on the machines that run this suite. This script keeps its command-line contract
(same option spellings, positional INPUT OUTPUT, ``--version`` output, \\r-redrawn progress
bars, exit codes) and writes the output with Aperture's built-in converter. Tests steer it
with STANDIN_* environment variables.
"""

from __future__ import annotations

import sys
from pathlib import Path

STANDIN_TEMPLATE = """#!{python}
import argparse, json, os, sys, time
sys.path.insert(0, {root!r})

if "--version" in sys.argv:
    print("Version = 0.9.4-standin")
    print("Bio-Formats version = 7.3.1")
    print("NGFF specification version = 0.5")
    sys.exit(0)

parser = argparse.ArgumentParser(add_help=False)
parser.add_argument("input")
parser.add_argument("output")
parser.add_argument("-w", "--tile_width", type=int, default=1024)
parser.add_argument("-h", "--tile_height", type=int, default=1024)
parser.add_argument("-r", "--resolutions", type=int)
parser.add_argument("--max_workers", type=int, default=1)
parser.add_argument("-c", "--compression", default="blosc")
parser.add_argument("--compression-properties", action="append", default=[])
parser.add_argument("--ngff-version", default="0.4")
parser.add_argument("--overwrite", action="store_true")
parser.add_argument("-p", "--progress", action="store_true")
try:
    args = parser.parse_args()
except SystemExit:
    print("Unknown option: see Usage: bioformats2raw", file=sys.stderr)
    sys.exit(2)

if os.environ.get("STANDIN_OLD_VERSION"):
    # What an old bioformats2raw without --ngff-version answers (picocli usage error).
    print("Unknown option: '--ngff-version'", file=sys.stderr)
    print("Usage: bioformats2raw [-p] [--overwrite] <inputPath> <outputLocation>", file=sys.stderr)
    sys.exit(2)

record = os.environ.get("STANDIN_RECORD")
if record:
    with open(record, "w") as handle:
        json.dump({{"argv": sys.argv[1:], "java_opts": os.environ.get("JAVA_OPTS")}}, handle)

exit_code = int(os.environ.get("STANDIN_EXIT", "0"))
if exit_code == 137:
    os.kill(os.getpid(), 9)
if exit_code:
    print("java.io.IOException: cannot read input", file=sys.stderr)
    sys.exit(exit_code)

for task, total in (("[0/0]", 4), ("[0/1]", 1)):
    for done in range(total + 1):
        percent = 100 * done // total
        sys.stdout.write(f"{{task}} {{percent:3d}}% \\u2502{{'#' * done:<4}}\\u2502 "
                         f"{{done}}/{{total}} (0:00:01 / 0:00:01)\\r")
        sys.stdout.flush()
    sys.stdout.write("\\n")

if os.environ.get("STANDIN_WRITE", "1") == "1":
    from submissions.conversion.builtin import convert
    compression = {{"blosc": "blosc", "null": "none"}}.get(args.compression, "blosc")
    convert(input_path=__import__("pathlib").Path(args.input),
            output_path=__import__("pathlib").Path(args.output),
            resolutions=args.resolutions, tile_width=args.tile_width,
            tile_height=args.tile_height, compression=compression,
            max_workers=args.max_workers, ngff_version=args.ngff_version)
if os.environ.get("STANDIN_CHUNK_FAILURE"):
    print("ERROR Failure processing chunk; resolution=0 plane=3", file=sys.stderr)
sys.exit(0)
"""


def write_standin(directory: Path) -> Path:
    """Write the stand-in executable into ``directory`` and return its path."""
    root = str(Path(__file__).resolve().parents[2])
    path = directory / "bioformats2raw"
    path.write_text(STANDIN_TEMPLATE.format(python=sys.executable, root=root))
    path.chmod(0o755)
    return path
