"""Idle sessions end: a signed-in session lives SESSION_IDLE_MINUTES past its last request.

Django's session expiry (SESSION_COOKIE_AGE, set to the idle time) is checked by the session
store on every load; this middleware slides it forward by re-saving the session, at most once
every SESSION_IDLE_REFRESH_SECONDS rather than on every request (SESSION_SAVE_EVERY_REQUEST
would write each time). Signing in counts as the first request (`mark_seen`, connected to
Django's user_logged_in in the app's ready()).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "_aperture_seen_at"


def mark_seen(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[SEEN_KEY] = int(time.time())


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if now - int(session.get(SEEN_KEY) or 0) >= settings.SESSION_IDLE_REFRESH_SECONDS:
                session[SEEN_KEY] = now  # modified: saved with a new expiry and cookie
        return self.get_response(request)
