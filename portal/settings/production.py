"""Production: secrets have no defaults, HTTPS everywhere."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import CACHES, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Structured logs for the log shipper; Celery keeps Django's LOGGING instead of its own.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"  # type: ignore[index]  # noqa: F405
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Probes and the metrics scraper speak plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz", r"^metrics$"]
# Redis is required: it is the Celery broker and Django's cache, which holds allauth's
# rate-limit counters for every web process (a per-process cache would multiply the limits).
REDIS_URL = env.str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
EMBEDDED_REDIS = False
CACHES["default"] = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="aperture"),
}
