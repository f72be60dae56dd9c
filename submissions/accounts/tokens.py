"""API tokens and sessions: making, listing, using and revoking personal API tokens, and
"log out everywhere".

Why a model of our own rather than DRF's authtoken or django-rest-knox: DRF's keeps one
plain-text key per person that never expires; knox hashes and expires keys but its token has
no name or last-use time, adding them means swapping its model (its own migrations still
create an unused table), and its authentication walks every token of the person on each
request. What Aperture needs is small: a SHA-256 of a random key (a high-entropy key needs
no slow hash, and the digest is the lookup), an expiry, a name, a last-use time, and the
owner's credentials hash, so a new password or "log out everywhere" ends every token at once
by the same rule Django uses for sessions. DRF's `TokenAuthentication` still parses the
`Authorization: Token <key>` header; only the lookup is ours.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from hmac import compare_digest

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from submissions.accounts.models import ApiToken, User
from submissions.core.errors import NotFound, ValidationFailed
from submissions.core.text import single_line

KEY_PREFIX = "apt_"  # lets secret scanners and people recognise an Aperture key
SHOWN_CHARACTERS = 12  # of the key, kept to tell tokens apart in the list
NAME_MAX = 100
MAX_TOKENS = 50  # live tokens per person
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write a minute per token


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _credentials_match(token: ApiToken, user: User) -> bool:
    current = [user.credentials_hash(), *user.get_session_auth_fallback_hash()]
    return any(compare_digest(token.credentials, value) for value in current)


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The person's tokens, newest first (expired ones too, until removed)."""
    return ApiToken.objects.filter(user=user).select_related("user")


def listed_tokens(*, user: User) -> list[ApiToken]:
    """What the account page lists: tokens that still match the person's credentials, each
    marked `expired` or not. Tokens of an earlier password are gone for good."""
    now = timezone.now()
    shown = []
    for token in tokens_of(user=user):
        if _credentials_match(token, user):
            token.expired = token.expires_at <= now  # type: ignore[attr-defined]
            shown.append(token)
    return shown


def issue_token(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a token; returns it and its key, which is never shown again."""
    label = single_line(name)[:NAME_MAX] or "API token"
    now = timezone.now()
    live = ApiToken.objects.filter(user=user, expires_at__gt=now).count()
    if live >= MAX_TOKENS:
        raise ValidationFailed(
            f"You already have {live} API tokens; revoke one you no longer use first.",
            fields={"name": [f"At most {MAX_TOKENS} tokens at a time."]},
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=label,
        prefix=key[:SHOWN_CHARACTERS],
        digest=_digest(key),
        credentials=user.credentials_hash(),
        expires_at=now + timedelta(days=settings.API_TOKEN_DAYS),
    )
    return token, key


def revoke_token(*, user: User, token_id: object) -> None:
    """Revoke one of the person's own tokens; anyone else's id is 404."""
    try:
        pk = int(str(token_id))
    except ValueError:
        raise NotFound("No such token.") from None
    deleted, _ = ApiToken.objects.filter(user=user, pk=pk).delete()
    if not deleted:
        raise NotFound("No such token.")


def revoke_all_tokens(*, user: User) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def log_out_everywhere(*, user: User) -> int:
    """End every session of the person (on every device) and revoke every API token.

    Raising the session epoch changes the credentials hash that each session and token
    carries, so they all stop working on their next request, wherever they are stored.
    Returns how many tokens were revoked. The caller logs the current request out too.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        return revoke_all_tokens(user=user)


def password_changed(*, user: User) -> None:
    """Called whenever a password is set (change, reset, set): every token is revoked.
    Tokens were tied to the old password's hash, so they had stopped working anyway."""
    revoke_all_tokens(user=user)


def authenticate_key(key: str) -> ApiToken:
    """The live token with this key, its use recorded; AuthenticationFailed (401) otherwise,
    saying what to do."""
    token = ApiToken.objects.select_related("user").filter(digest=_digest(key)).first()
    if token is None or not token.user.is_active or not _credentials_match(token, token.user):
        raise exceptions.AuthenticationFailed(
            "This API token is not valid (revoked, or its owner's password changed). "
            "Make a new one under Account, API tokens."
        )
    now = timezone.now()
    if token.expires_at <= now:
        raise exceptions.AuthenticationFailed(
            f"This API token expired on {token.expires_at:%d %b %Y}. "
            "Make a new one under Account, API tokens."
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as before (the CLI sends exactly this); DRF parses the
    header, `authenticate_key` finds the token."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = authenticate_key(key)
        return token.user, token
