"""Django itself: the site, apps, middleware, templates, database, language, passwords, logs
and metrics."""

from __future__ import annotations

from ._env import BASE_DIR, VAR_DIR, env

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
