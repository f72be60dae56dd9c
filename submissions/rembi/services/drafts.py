"""Values typed in the editor that are not valid yet ("drafts"), kept beside the description.

The editor never loses input: when a person types a malformed value (a short ORCID iD, a
date like 2026-02-31), every other field still saves, and the malformed one is kept exactly
as typed, by the dotted path of its field, outside the description itself. The description
(`Submission.metadata`) therefore only ever holds valid values; the drafts are drawn back
into the editor with their errors until the person fixes them, and each one is a problem
that stops submitting.

- `split(raw)`: the valid description and the drafts of a posted editor form, plus any error
  no single field can hold (a list over its limit, an unknown section): those refuse the save.
- `draft_errors(metadata, drafts)`: what is wrong with each draft now, by field path.
- `field_path(path)`: the field an error path belongs to ("study.keywords.3" is a keyword of
  the field "study.keywords").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .spec import REMBI, Field, Group, item_children
from .validate import Errors, clean

MAX_ROUNDS = 5  # blanking one value can reveal at most one more error behind it (pickers)


def field_path(path: str) -> str | None:
    """The path of the REMBI field `path` is in, or None when it names no field (a section,
    a repeated list, or a name the description does not have)."""
    node: Field | Group = REMBI
    parts = path.split(".") if path else []
    taken: list[str] = []
    expect_index = False
    for part in parts:
        if isinstance(node, Field):
            return ".".join(taken)  # a list field's item: "study.keywords.3"
        if expect_index:
            if not part.isdigit():
                return None
            taken.append(part)
            expect_index = False
            continue
        children = item_children(node) if node.many else node.children
        found = next((c for c in children if c.name == part), None)
        if found is None:
            return None
        node = found
        taken.append(part)
        expect_index = isinstance(node, Group) and node.many
    if not isinstance(node, Field) or node.kind == "key":  # keys are the server's, never typed
        return None
    return ".".join(taken)


def _merge(errors: Errors, path: str, messages: list[str]) -> None:
    known = errors.setdefault(path, [])
    known.extend(message for message in messages if message not in known)


def _get(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _parent(document: Any, path: str) -> dict[str, Any] | None:
    """The object holding the last part of `path`, if the document has it."""
    head, _, _ = path.rpartition(".")
    parent = _get(document, head) if head else document
    return parent if isinstance(parent, dict) else None


def _empty(path: str) -> Any:
    node: Field | Group = REMBI
    for part in path.split("."):
        if part.isdigit() or not isinstance(node, Group):
            continue
        node = next(c for c in item_children(node) if c.name == part)
    return [] if isinstance(node, Field) and node.is_list else ""


def _as_typed(value: Any) -> str | list[str]:
    """A draft as the editor sends it: text, or a list of text for checkbox fields."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return value if isinstance(value, str) else ("" if value is None else str(value))


@dataclass
class Split:
    document: dict[str, Any]
    drafts: dict[str, Any] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)  # by field path, for the drafts
    refused: Errors = field(default_factory=dict)  # what no field can hold: refuse the save


def split(raw: Any) -> Split:
    """Separate what is valid in `raw` (saved) from what is not (kept as typed)."""
    working = copy.deepcopy(raw) if isinstance(raw, dict) else raw
    drafts: dict[str, Any] = {}
    errors: Errors = {}
    for _ in range(MAX_ROUNDS):
        document, found = clean(working)
        if not found:
            return Split(document, drafts, errors)
        refused = {path: msgs for path, msgs in found.items() if field_path(path) is None}
        if refused:
            return Split(document, drafts, errors, refused)
        for path, messages in found.items():
            target = field_path(path)
            assert target is not None
            _merge(errors, target, messages)
            holder = _parent(working, target)
            if holder is None:  # pragma: no cover - clean only reports paths it walked
                continue
            name = target.rpartition(".")[2]
            drafts.setdefault(target, _as_typed(holder.get(name)))
            holder[name] = _empty(target)
    document, found = clean(working)
    return Split(document, drafts, errors, found)


def draft_errors(metadata: Any, drafts: dict[str, Any]) -> Errors:
    """Each draft's errors today, by field path; a draft that is now valid (or whose place is
    gone) has none and is simply dropped by the caller at the next save."""
    if not drafts:
        return {}
    document = copy.deepcopy(metadata) if isinstance(metadata, dict) else {}
    placed: set[str] = set()
    for path, value in drafts.items():
        if field_path(path) != path:
            continue
        holder = _parent(document, path)
        if holder is not None:
            holder[path.rpartition(".")[2]] = value
            placed.add(path)
    _, found = clean(document)
    errors: Errors = {}
    for path, messages in found.items():
        target = field_path(path)
        if target is not None and target in placed:
            _merge(errors, target, messages)
    return errors


def live_drafts(metadata: Any, drafts: Any) -> dict[str, Any]:
    """The drafts that still have a place in `metadata` and are still not valid there."""
    if not isinstance(drafts, dict):
        return {}
    wrong = draft_errors(metadata, drafts)
    return {path: value for path, value in drafts.items() if path in wrong}
