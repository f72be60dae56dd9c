"""Domain errors. Each knows its HTTP status and carries a message a person can act on.

One DRF exception handler (submissions.core.api) and one HTML helper
(submissions.core.middleware) turn them into responses.
"""

from __future__ import annotations


class PortalError(Exception):
    http_status = 400
    code = "error"
    default_message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.message)


class NotFound(PortalError):
    """Also what someone gets for an object they may not see: 404, never 403."""

    http_status = 404
    code = "not_found"
    default_message = "Not found."


class PermissionDenied(PortalError):
    """For objects the user can see but may not act on (e.g. a researcher approving)."""

    http_status = 403
    code = "permission_denied"
    default_message = "You do not have permission to do that."


class InvalidTransition(PortalError):
    http_status = 409
    code = "invalid_transition"
    default_message = "The submission is not in a state that allows this."


class ValidationFailed(PortalError):
    http_status = 400
    code = "invalid"
    default_message = "Some fields need attention."


class QuotaExceeded(PortalError):
    http_status = 409
    code = "quota_exceeded"
    default_message = "This would exceed your storage quota."
