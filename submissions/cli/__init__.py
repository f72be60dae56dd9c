"""The `aperture` command line: `new`, `upload`, `submissions` and `convert`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "convert": ("submissions.conversion.cli", "main"),
        "upload": ("submissions.cli.upload", "main"),
        "submissions": ("submissions.cli.submissions", "list_main"),
        "new": ("submissions.cli.submissions", "new_main"),
    }
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in commands:
        print("usage: aperture {new,upload,submissions,convert} ...")
        print("  new          start a draft submission and print its id")
        print("  upload       send files and folders to a submission (resumable)")
        print("  submissions  list your submissions with their status")
        print("  convert      convert an image file to OME-Zarr (bioformats2raw layout)")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    import importlib

    module_name, function = commands[argv[0]]
    module = importlib.import_module(module_name)
    return int(getattr(module, function)(argv[1:]))
