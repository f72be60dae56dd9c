"""Errors raised by the conversion package, sorted by whose fault they are.

The worker turns a :class:`UserFileError` into a message for the researcher (the ``code`` is a
stable id the UI can translate) and retries an :class:`ApplicationError` whose ``transient`` is
true before telling an admin.
"""

from __future__ import annotations


class ConversionError(Exception):
    """Base class: ``code`` is a stable message id, ``message`` is for a person."""

    def __init__(self, *, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # Converter output tail or validation errors: for admins and logs, not researchers.
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "details": self.details,
        }


class UserFileError(ConversionError):
    """The researcher's file is unreadable, corrupt or of a kind we cannot convert."""


class ApplicationError(ConversionError):
    """Our side failed (converter crash, killed, invalid output); retry if ``transient``."""

    def __init__(
        self, *, code: str, message: str, details: str = "", transient: bool = False
    ) -> None:
        super().__init__(code=code, message=message, details=details)
        self.transient = transient

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "transient": self.transient}
