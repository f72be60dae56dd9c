#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
    from django.core.management import execute_from_command_line

    from submissions.core import paths

    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command not in paths.READ_ONLY_COMMANDS and not command.startswith("-"):
        # The database file, storage and mail folders this command may write (created here,
        # at start, never when settings are imported).
        paths.prepare("manage")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
