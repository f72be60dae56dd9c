"""Notifications: every e-mail Aperture sends goes through `mail.send` (rendered from text
and HTML templates, muted kinds honoured, each message sent once). The other modules say who
is told of what: `submission_mail` (each step of a submission, and the curators' digest),
`comment_mail` (the review thread) and `quota_mail` (storage limits, quota requests,
invitations). Services elsewhere never call these directly: they enqueue the mail tasks
through `submissions.core.dispatch` after their change commits.
"""

from __future__ import annotations

from submissions.notifications.services.mail import (
    muted_kinds,
    send,
    set_muted_kinds,
    short_title,
    site_url,
)

__all__ = ["muted_kinds", "send", "set_muted_kinds", "short_title", "site_url"]
