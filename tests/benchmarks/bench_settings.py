"""Settings for the web process of `make bench-upload` (see bench_upload.py)."""

from __future__ import annotations

import os

from portal.settings.testing import *  # noqa: F403
from portal.settings.testing import STORAGES

DEBUG = False
ALLOWED_HOSTS = ["*"]
# No worker: `complete` enqueues verification into memory and the benchmark times it itself.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["BENCH_DB"],
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
    }
}
if os.environ.get("BENCH_S3_ENDPOINT"):
    # Staging on S3: the web process then checks no folder-storage directories at boot.
    USE_S3 = True
    STORAGES["staging"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["BENCH_BUCKET"],
            "endpoint_url": os.environ["BENCH_S3_ENDPOINT"],
            "region_name": "us-east-1",
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    STORAGES["staging"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ["BENCH_STORAGE"]},
    }
