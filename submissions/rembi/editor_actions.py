"""The editor's add and remove buttons (`_action=add:<path>` / `remove:<path>.<n>`): which
actions exist for a document, refused with a message (never a 500) when they do not, and adding
a blank item in place."""

from __future__ import annotations

import uuid
from typing import Any

from submissions.core.errors import ValidationFailed
from submissions.rembi.forms import anchor
from submissions.rembi.services.spec import REMBI, Field, Group, singular


class EditorActionError(ValidationFailed):
    """An add or remove that names no repeated section (or item) of this description."""


def _list_group(path: str) -> Group | None:
    """The repeated section at `path` ("study.authors", "annotations.files"), if it is one.
    List items are never part of the way there: no repeated section sits inside another."""
    node: Field | Group | None = REMBI
    for part in path.split("."):
        if not isinstance(node, Group) or node.many:
            return None
        node = next((c for c in node.children if c.name == part), None)
    return node if isinstance(node, Group) and node.many else None


def check_action(action: str, document: dict[str, Any]) -> str:
    """`action` if it is one this description allows: "", "save", "done", "add:<a repeated
    section with room>" or "remove:<an item it has>"; EditorActionError otherwise."""
    if action in ("", "save", "done"):
        return action
    verb, _, path = action.partition(":")
    if verb == "add":
        group = _list_group(path)
        if group is None:
            raise EditorActionError(
                "There is no such list to add to.", fields={"_action": ["Unknown section."]}
            )
        items = _items_at(document, path)
        if len(items) >= group.max_items:
            raise EditorActionError(
                f"{group.label} can hold at most {group.max_items:,}.",
                fields={path: [group.limit_help or f"At most {group.max_items:,}."]},
            )
        return action
    if verb == "remove":
        head, _, index = path.rpartition(".")
        if (
            _list_group(head) is not None
            and index.isdigit()
            and int(index) < len(_items_at(document, head))
        ):
            return action
        raise EditorActionError(
            "That item is not in the description (it may have been removed already).",
            fields={"_action": ["Unknown item."]},
        )
    raise EditorActionError(
        "The editor does not know that action.", fields={"_action": ["Unknown action."]}
    )


def _items_at(document: dict[str, Any], path: str) -> list[Any]:
    target: Any = document
    for part in path.split("."):
        target = target.get(part) if isinstance(target, dict) else None
    return target if isinstance(target, list) else []


def add_blank_item(document: dict[str, Any], path: str) -> str:
    """Append an empty item to the repeated section at `path` (checked by `check_action`);
    the anchor of the new item."""
    group = _list_group(path)
    assert group is not None
    target: Any = document
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    items = target.setdefault(parts[-1], [])
    item: dict[str, Any] = {}
    if group.keyed:
        item["key"] = f"{singular(group)}-{uuid.uuid4().hex[:6]}"
    items.append(item)
    return anchor(f"{path}.{len(items) - 1}")
