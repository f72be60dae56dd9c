"""`aperture convert INPUT OUTPUT [options]`: the built-in converter on this computer.

The converter's own command line (submissions.conversion.cli, run by the workers as a child
process) speaks to a parent process too: a machine-readable APERTURE-ERROR line, exit status
2 for a bad input file, a traceback when it crashes. For a person at a terminal this keeps
its options and messages, drops what is meant for a parent process (the traceback stays
with --debug), and answers a file it cannot convert with exit status 1 like every other
failure (2 stays for a command used wrongly).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO

from submissions.cli.errors import EXIT_FAILURE


class _HumanErrors:
    """A stderr that passes the converter's lines through but those for a parent process."""

    def __init__(self, target: TextIO, *, debug: bool) -> None:
        self.target, self.debug = target, debug
        self.pending = ""
        self.in_traceback = False

    def write(self, text: str) -> int:
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self._line(line + "\n")
        return len(text)

    def _line(self, line: str) -> None:
        from submissions.conversion.cli import ERROR_PREFIX

        if line.startswith(ERROR_PREFIX):
            return
        if not self.debug:
            if line.startswith("Traceback (most recent call last):"):
                self.in_traceback = True
                return
            if self.in_traceback:
                self.in_traceback = line[:1].isspace()
                return  # the frames, then the exception's own line
        if line.startswith("error: "):
            line = "aperture convert: " + line[len("error: ") :]
        self.target.write(line)

    def flush(self) -> None:
        if self.pending:
            self._line(self.pending)
            self.pending = ""
        self.target.flush()


def main(argv: list[str]) -> int:
    from submissions.conversion import cli as converter

    debug = os.environ.get("APERTURE_DEBUG", "") not in ("", "0")
    errors = _HumanErrors(sys.stderr, debug=debug)
    try:
        with contextlib.redirect_stderr(errors):
            status = converter.main(["convert", *argv])
    finally:
        errors.flush()
    return EXIT_FAILURE if status == converter.EXIT_USER_FILE else status
