"""Template helpers for REMBI pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from submissions.lifecycle.models import SubmissionStatus
from submissions.rembi import forms as rembi_form
from submissions.rembi import services
from submissions.rembi.services.display import Block

register = template.Library()


@register.simple_tag
def rembi_display(metadata: Any) -> list[Block]:
    """`{% rembi_display submission.metadata as blocks %}`: the read-only REMBI tree."""
    return services.display_tree(metadata)


@register.simple_tag
def optional_url(name: str, *args: Any) -> str:
    """A URL if the route exists in this deployment, else '' (pages degrade, never break)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def path_label(path: str) -> str:
    return rembi_form.path_label(path)


@register.filter
def node_label(path: str) -> str:
    """The REMBI label of the last step of a path: 'study.authors.2' -> 'Author 3',
    'study.funding_statement' -> 'Funding statement'; unknown keys are shown as they are."""
    key = path.rsplit(".", 1)[-1]
    label = rembi_form.path_label(path).split(" \u203a ")[-1]
    if key.isdigit():
        return label if label.endswith(f" {int(key) + 1}") else f"#{int(key) + 1}"
    if key == "key":
        return "Key"
    return label or key


@register.filter
def field_anchor(path: str) -> str:
    return rembi_form.anchor(path)


_EVENT_LABELS = {
    "created": "Draft created",
    "metadata_updated": "Description edited",
    "comment": "Comment",
    "assigned": "Review assigned",
    "self_review": "Decided by its own author (self-review)",
}


@register.filter
def join_named(values: Any, separator: str = ", ") -> str:
    """Join the non-blank values: unnamed channels (["", ""]) give "", not ", "."""
    if not isinstance(values, list | tuple):
        return ""
    return separator.join(str(v) for v in values if str(v).strip())


@register.filter
def event_label(kind: str) -> str:
    """'upload_verified' -> 'Upload verified' (a few kinds have their own wording)."""
    return _EVENT_LABELS.get(kind) or kind.replace("_", " ").capitalize()


@register.filter
def status_label(status: str) -> str:
    """'changes_requested' -> 'Changes requested'."""
    try:
        return str(SubmissionStatus(status).label)
    except ValueError:
        return status
