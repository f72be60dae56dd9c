"""The `aperture` command line: `new`, `upload`, `submissions` and `convert`.

Every command answers a failure with one line naming what failed and what to check (exit
status 1), a command used wrongly with its usage (exit status 2), and shows the traceback
only with --debug (or APERTURE_DEBUG=1).
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.metadata import PackageNotFoundError, version

COMMANDS = {
    "new": ("submissions.cli.submissions", "new_main", "start a draft submission and print its id"),
    "upload": (
        "submissions.cli.upload",
        "main",
        "send files and folders to a submission (resumable)",
    ),
    "submissions": (
        "submissions.cli.submissions",
        "list_main",
        "list your submissions with their status",
    ),
    "convert": (
        "submissions.cli.convert",
        "main",
        "convert an image file to OME-Zarr on this computer (no server needed)",
    ),
}
USAGE = "usage: aperture [--version] [--debug] {new,upload,submissions,convert} ..."


def _version() -> str:
    try:
        return version("aperture")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown"


def _help() -> str:
    lines = [USAGE, "", "commands:"]
    lines += [f"  {name:<12} {text}" for name, (_, _, text) in COMMANDS.items()]
    lines += [
        "",
        "options:",
        "  -h, --help     show this help and exit (aperture COMMAND --help: that command's)",
        "  --version      print the version and exit",
        "  --debug        show the full traceback when something fails",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("APERTURE_DEBUG", "") not in ("", "0")
    if debug:
        os.environ["APERTURE_DEBUG"] = "1"  # for commands that run other tools
    argv = [arg for arg in argv if arg != "--debug"]
    if argv and argv[0] in {"-V", "--version"}:
        print(f"aperture {_version()}")
        return 0
    if argv and argv[0] in {"-h", "--help"}:
        print(_help())
        return 0
    if not argv or argv[0] not in COMMANDS:
        problem = f"unknown command {argv[0]!r}" if argv else "which command?"
        print(f"{USAGE}\naperture: error: {problem} (aperture --help lists them)", file=sys.stderr)
        return 2
    module_name, function, _ = COMMANDS[argv[0]]
    command = getattr(importlib.import_module(module_name), function)
    try:
        return int(command(argv[1:]))
    except KeyboardInterrupt:
        print("aperture: interrupted.", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        from submissions.cli.errors import describe

        message, status = describe(error)
        print(f"aperture: {message}", file=sys.stderr)
        return status
