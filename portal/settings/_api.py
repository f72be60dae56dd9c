"""The REST API (Django REST framework) and its OpenAPI schema (drf-spectacular)."""

from __future__ import annotations

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
        "ApprovalBlockCodeEnum": "submissions.review.readiness.BLOCK_CODES",
    },
}
