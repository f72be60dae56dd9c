"""The test suite: real database and Redis when DATABASE_URL / REDIS_URL are set."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from .base import *  # noqa: F403
from .base import STORAGES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Services enqueue with transaction.on_commit; in tests tasks run in-process unless a test
# starts a real worker (the reliability tests do).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# A worker subprocess started by a test is given the same folder through the environment.
_TEST_STORAGE = Path(
    env.str("APERTURE_TEST_STORAGE", default="")
    or tempfile.mkdtemp(prefix="aperture-test-storage-")
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so the live server's threads (parallel upload parts) and worker
    # subprocesses of the reliability tests each get their own connection to the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(_TEST_STORAGE / "test.sqlite3")}  # noqa: F405
for _name in ("staging", "archive", "default"):
    if str(STORAGES[_name]["BACKEND"]).endswith("FileSystemStorage"):
        STORAGES[_name]["OPTIONS"] = {"location": _TEST_STORAGE / _name}
CONVERSION_SCRATCH_DIR = _TEST_STORAGE / "scratch"
ACCOUNT_EMAIL_VERIFICATION = "optional"

if not EMBEDDED_REDIS:  # noqa: F405
    # A shared Redis is Django's cache here too: keep this run's rate-limit counters apart
    # from other runs' (and from a `make run` using the same database number).
    CACHES["default"]["KEY_PREFIX"] = f"aperture-test-{uuid.uuid4().hex[:12]}"  # noqa: F405

if EMBEDDED_REDIS:  # noqa: F405
    # Never share the socket of a `make run` on the same machine; conftest starts this one.
    EMBEDDED_REDIS_SOCKET = _TEST_STORAGE / "redis.sock"
    REDIS_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
    CELERY_BROKER_URL = REDIS_URL

# Retries of transient failures wait this long (doubling) in tests, not half a minute.
PROCESSING_RETRY_BACKOFF_SECONDS = env.float("PROCESSING_RETRY_BACKOFF_SECONDS", default=0.01)
