"""The one way mail leaves Aperture: `send` renders a text and an HTML template, honours the
recipient's mute settings, and sends each message exactly once.

Exactly once: a SentNotification row keyed by (address, kind, key) is written before the
message goes out; a second trigger for the same key finds the row and sends nothing, and a
send that fails removes the row so the task's retry sends it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from submissions.accounts.models import User
from submissions.core.errors import ValidationFailed
from submissions.lifecycle.models import Submission
from submissions.notifications.models import (
    MUTABLE_KINDS,
    NotificationKind,
    NotificationPreference,
    SentNotification,
)


def site_url(path: str) -> str:
    """An absolute link for a mail: the portal's address (SITE_URL) plus `path`."""
    return settings.SITE_URL.rstrip("/") + path


def short_title(title: str) -> str:
    """A title fit for a subject line: one line, at most 80 characters."""
    one_line = " ".join(str(title).split())
    return one_line if len(one_line) <= 80 else one_line[:77] + "…"


def header_text(value: str) -> str:
    """A value made safe for a mail header: no line breaks or other control characters
    (a newline in a header makes Django refuse the whole message)."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())


# --- Preferences ------------------------------------------------------------------------


def muted_kinds(*, user: User) -> set[str]:
    preference = NotificationPreference.objects.filter(user=user).first()
    return set(preference.muted) if preference else set()


def set_muted_kinds(*, user: User, muted: Iterable[str]) -> NotificationPreference:
    chosen = sorted(set(muted))
    unknown = [kind for kind in chosen if kind not in MUTABLE_KINDS]
    if unknown:
        raise ValidationFailed(fields={"muted": [f"Unknown kind of mail: {unknown[0][:40]}."]})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"muted": chosen}
    )
    return preference


# --- Sending ----------------------------------------------------------------------------


def send(
    *,
    to: User | str,
    kind: NotificationKind | str,
    key: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    submission: Submission | None = None,
) -> bool:
    """Send `mail/<template>.txt` and `.html` to a person (or, for an invitation, an address).

    Nothing is sent to an inactive account, to someone who muted `kind`, or a second time for
    the same (address, kind, key). Returns whether this call sent the message.
    """
    user = to if isinstance(to, User) else None
    address = user.email if user is not None else str(to)
    if user is not None and (not user.is_active or kind in muted_kinds(user=user)):
        return False
    subject = header_text(subject)[:300]
    try:
        with transaction.atomic():
            record = SentNotification.objects.create(
                address=address,
                recipient=user,
                kind=kind,
                key=key[:80],
                submission=submission,
                subject=subject,
            )
    except IntegrityError:
        return False  # this trigger already reached this address
    full = {
        **context,
        "recipient": user,
        "site_url": settings.SITE_URL,
        "settings_url": site_url(reverse("notification-settings")),
    }
    try:
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"mail/{template}.txt", full),
            to=[address],
        )
        message.attach_alternative(render_to_string(f"mail/{template}.html", full), "text/html")
        message.send()
    except Exception:
        record.delete()
        raise
    return True


def send_each(
    *,
    recipients: Iterable[User],
    kind: NotificationKind | str,
    key: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    submission: Submission | None = None,
) -> int:
    """`send` to each of `recipients`; returns how many messages went out."""
    return sum(
        send(
            to=person,
            kind=kind,
            key=key,
            subject=subject,
            template=template,
            context=context,
            submission=submission,
        )
        for person in recipients
    )
