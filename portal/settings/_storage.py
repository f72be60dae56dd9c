"""Object storage: two local folders unless S3 buckets are named; static files."""

from __future__ import annotations

from pathlib import Path

from botocore.config import Config

from ._env import BASE_DIR, VAR_DIR, env

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
