"""The `aperture` command line: `aperture upload …`, `aperture convert …`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "convert": "submissions.conversion.cli",
        "upload": "submissions.cli.upload",
    }
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in commands:
        print("usage: aperture {upload,convert} ...")
        print("  upload   send files and folders to a submission (resumable)")
        print("  convert  convert an image file to OME-Zarr (bioformats2raw layout)")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    import importlib

    module = importlib.import_module(commands[argv[0]])
    return int(module.main(argv[1:]))
