"""Every directory Aperture writes to comes from a setting, and the process that needs it
creates it when it starts (never at import): the web server, a Celery worker, beat and
`manage.py` each call :func:`prepare` for their role.

A directory that cannot be created or written stops the process at once with a message that
names the setting, the path and the user, instead of failing on the first upload or job.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Role = Literal["web", "worker", "beat", "manage"]
# manage.py commands that only read settings or code: they need no directory.
READ_ONLY_COMMANDS = frozenset(
    {
        "check",
        "makemigrations",
        "spectacular",
        "help",
        "version",
        "diffsettings",
        "showmigrations",
        "collectstatic",  # writes STATIC_ROOT only (at image build)
    }
)


def ensure_writable(path: Path, *, setting: str) -> Path:
    """Create ``path`` if needed and prove this process can write a file in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as error:
        raise ImproperlyConfigured(
            f"{setting} points at {path}, which this process (uid {os.getuid()}) cannot "
            f"write: {error.strerror or error}. Set {setting} to a writable directory (in "
            "a container, a volume the image's user owns)."
        ) from error
    return path


def directories(role: Role) -> dict[str, Path]:
    """The directories ``role`` writes to, by the setting (environment variable) naming them."""
    found: dict[str, Path] = {}
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        found["DATABASE_URL (SQLite file)"] = Path(database["NAME"]).parent
    if not settings.USE_S3:
        for name in ("staging", "archive"):
            location = settings.STORAGES[name]["OPTIONS"]["location"]  # type: ignore[index]
            found[f"APERTURE_VAR_DIR (folder storage {name})"] = Path(str(location))
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        found["EMAIL_URL (mail folder)"] = Path(getattr(settings, "EMAIL_FILE_PATH", ""))
    if settings.METRICS_MULTIPROC_DIR and role == "web":
        found["PROMETHEUS_MULTIPROC_DIR"] = Path(settings.METRICS_MULTIPROC_DIR)
    if role == "worker":
        found["CONVERSION_SCRATCH_DIR"] = Path(settings.CONVERSION_SCRATCH_DIR)
    if role == "beat":
        found["CELERY_BEAT_SCHEDULE_FILENAME"] = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent
    return found


def prepare(role: Role) -> None:
    """Create and check every directory ``role`` needs; ImproperlyConfigured if one fails."""
    for setting, path in directories(role).items():
        ensure_writable(path, setting=setting)
