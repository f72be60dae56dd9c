"""Content-Security-Policy (django-csp)."""

from __future__ import annotations

from ._env import env
from ._storage import (
    ARCHIVE_BUCKET,
    S3_ADDRESSING_STYLE,
    S3_ENDPOINT_URL,
    S3_PUBLIC_ENDPOINT_URL,
    S3_REGION_NAME,
    STAGING_BUCKET,
    USE_S3,
)


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
