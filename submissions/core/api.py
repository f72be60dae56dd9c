"""What every API view shares: one exception handler (every error is JSON
`{code, message, fields}`), its schema description, and request-body parsing."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from submissions.core.errors import PortalError
from submissions.core.units import format_bytes

# No request body of Aperture nests deeper than a dozen levels (a REMBI document is about
# six); anything far deeper is refused before a recursive walk could exhaust the stack.
MAX_JSON_DEPTH = 64


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


def too_large_body() -> dict[str, Any]:
    """The answer to a request body over DATA_UPLOAD_MAX_MEMORY_SIZE (HTTP 413)."""
    limit = format_bytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    return {
        "code": "too_large",
        "message": f"The request body is larger than the {limit} allowed here. "
        "Files go through the upload endpoints (/api/v1/uploads/), in parts.",
        "fields": {},
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PortalError):
        return Response(
            {"code": exc.code, "message": exc.message, "fields": exc.fields},
            status=exc.http_status,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError("The form has too many fields.")
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_body_problem(data: Any, *, max_depth: int) -> str:
    """What is wrong with parsed JSON that the decoder accepted ("" if nothing): nesting more
    than `max_depth` levels, or a lone surrogate escape ("\\ud800"), which is no text and
    which UTF-8 (the database, every answer) cannot hold. Iterative: it cannot run out of
    stack itself."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return "The JSON body has a lone surrogate escape (\\ud800-\\udfff); send text."
        elif isinstance(value, dict | list):
            if depth > max_depth:
                return f"The JSON body nests more than {max_depth} levels deep."
            if isinstance(value, dict):
                stack.extend((key, depth + 1) for key in value)
                stack.extend((child, depth + 1) for child in value.values())
            else:
                stack.extend((child, depth + 1) for child in value)
    return ""


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, refusing with a 400 bodies nested deeper than MAX_JSON_DEPTH and
    strings that are not text (lone surrogates).

    Python's decoder recurses once per level and raises RecursionError (not ValueError, so
    DRF's own parser lets it through as a 500) somewhere near a thousand levels; a lone
    surrogate fails only later, when the value is stored or echoed in an answer (a 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                f"The JSON body nests more than {MAX_JSON_DEPTH} levels deep."
            ) from None
        problem = json_body_problem(data, max_depth=MAX_JSON_DEPTH)
        if problem:
            raise exceptions.ParseError(problem)
        return data
