"""How django-allauth fits Aperture: a new password revokes the person's API tokens, and the
client IP behind proxies never turns into a server error."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

from submissions.accounts import tokens
from submissions.accounts.models import User

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def set_password(self, user: Any, password: str) -> None:
        """allauth's password change, reset and set all come here."""
        super().set_password(user, password)
        if isinstance(user, User):
            tokens.password_changed(user=user)

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client address rate limits key on: with TRUSTED_PROXY_COUNT = n, the n-th
        address of X-Forwarded-For from the right (what the outermost trusted proxy saw).

        allauth raises ImproperlyConfigured (a 500) when the header has fewer addresses than
        that; such a request did not come through every proxy, so it is keyed on the
        address that sent it."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning(
                "X-Forwarded-For has fewer addresses than TRUSTED_PROXY_COUNT; "
                "rate-limiting on the connecting address"
            )
            remote = request.META.get("REMOTE_ADDR")
            if not remote:
                raise PermissionDenied("Unable to determine client IP address") from None
            return str(remote)
