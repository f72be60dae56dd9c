"""What every API view shares: one exception handler (every error is JSON
`{code, message, fields}`), its schema description, and request-body parsing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from submissions.core.errors import PortalError


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as flat dotted keys: {"authors.2.orcid": ["..."]}."""
    key = prefix.rstrip(".") or "non_field_errors"
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for name, value in detail.items():
            fields.update(_flatten(value, f"{prefix}{name}."))
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {key: [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            fields.update(_flatten(item, f"{prefix}{index}."))
        return fields
    return {key: [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PortalError):
        return Response(
            {"code": exc.code, "message": exc.message, "fields": exc.fields},
            status=exc.http_status,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "message": "Some fields need attention.",
            "fields": _flatten(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or "error"
        body = {"code": str(code), "message": str(detail), "fields": {}}
    response.data = body
    user = getattr(context.get("request"), "user", None)
    if response.status_code == status.HTTP_403_FORBIDDEN and not getattr(
        user, "is_authenticated", False
    ):
        response.data["code"] = "not_authenticated"
    return response


# How an error answer is described in the OpenAPI schema.
ERROR_RESPONSE = OpenApiResponse(description="`{code, message, fields}`")


def valid_data(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    """The request body parsed by `serializer_class`; a 400 with every field error if not."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)
