"""What the `aperture` command says when something goes wrong: one line naming what failed and
what to check. Exit status 2 for a command used wrongly, 1 for anything that failed; the
traceback only with --debug."""

from __future__ import annotations

import json

import httpx

EXIT_FAILURE = 1
EXIT_USAGE = 2
ADDRESS_HINT = "--url, APERTURE_URL or url in ~/.config/aperture/config.toml"
TOKEN_HINT = "--token, APERTURE_TOKEN or token in ~/.config/aperture/config.toml"  # noqa: S105 (where to set it, not a secret)


class UsageError(Exception):
    """The command was used wrongly (a missing token, a path that is not there): exit 2."""


class Failure(Exception):
    """Something failed that a person can act on; the message says what: exit 1."""


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or "")
    return ""


def _fields(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        return ""
    return "; ".join(
        f"{name}: {' '.join(map(str, problems if isinstance(problems, list) else [problems]))}"
        for name, problems in fields.items()
    )


def http_failure(response: httpx.Response) -> Failure:
    """A refusal or an error answer, as one line: the URL, the status, what to check."""
    url = str(response.request.url) if response.request else "the server"
    status = response.status_code
    said = _server_message(response)
    if status in (401, 403) and not said.startswith("Request has expired"):
        hint = f"check your API token ({TOKEN_HINT}); tokens expire"
    elif status == 404:
        hint = f"check the id, and that {ADDRESS_HINT} is Aperture's address"
    elif status >= 500:
        hint = "the server had a problem; try again later, or tell the portal's administrators"
    else:
        hint = ""
    text = f"{url} answered {status} {response.reason_phrase}"
    if said:
        text += f": {said}"
    fields = _fields(response)
    if fields:
        text += f" [{fields}]"
    return Failure(f"{text}" + (f" ({hint})" if hint else ""))


def describe(error: BaseException) -> tuple[str, int]:
    """The line to print and the exit status for an error that reached the command's top."""
    if isinstance(error, UsageError):
        return str(error), EXIT_USAGE
    if isinstance(error, Failure):
        return str(error), EXIT_FAILURE
    if isinstance(error, httpx.HTTPStatusError):
        return str(http_failure(error.response)), EXIT_FAILURE
    if isinstance(error, httpx.RequestError):
        url = _request_url(error)
        if isinstance(error, httpx.TimeoutException):
            what = "did not answer in time"
            check = "check your network, or try again later"
        elif isinstance(error, httpx.UnsupportedProtocol):
            what = "is not an address the command can use"
            check = f"check {ADDRESS_HINT} (e.g. https://aperture.example.org)"
        else:
            what = f"could not be reached ({_reason(error)})"
            check = f"check {ADDRESS_HINT}, your network, and that the server is running"
        return f"{url} {what}: {check}.", EXIT_FAILURE
    if isinstance(error, httpx.InvalidURL):
        return f"{error}: check {ADDRESS_HINT} (e.g. https://aperture.example.org).", EXIT_USAGE
    if isinstance(error, json.JSONDecodeError):
        return (
            f"the server's answer was not Aperture's API: check {ADDRESS_HINT}.",
            EXIT_FAILURE,
        )
    if isinstance(error, OSError):
        name = error.filename if error.filename is not None else ""
        return f"{name}: {error.strerror or error}".lstrip(": "), EXIT_FAILURE
    return (
        f"unexpected error ({type(error).__name__}: {error}); run again with --debug "
        "and report what it prints.",
        EXIT_FAILURE,
    )


def _request_url(error: httpx.RequestError) -> str:
    try:
        return str(error.request.url)
    except RuntimeError:  # raised before a request was built
        return "the server"


def _reason(error: httpx.RequestError) -> str:
    text = str(error).strip()
    # "[Errno 111] Connection refused" -> "Connection refused"
    if text.startswith("[Errno") and "]" in text:
        text = text.split("]", 1)[1].strip()
    return text or type(error).__name__
