"""The fields of one REMBI description, named for people: what a curator can point a change
request or a comment at, and how a path reads ("Study > Author 1 > ORCID iD").

Paths are the dotted paths the editor draws its inputs under ("study.authors.0.orcid");
people never see them. `fields_of` lists every field, section, repeated list and list item
the description has (optional sections included, as the editor offers them), in the
editor's order; `is_known_path` is the server's check that a path is one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .spec import REMBI, Field, Group, item_children
from .validate import clean

SEPARATOR = " \u203a "
# Review may name the study title by the submission's "title" (they are kept the same).
ALIASES = {"title": "study.title"}


@dataclass(frozen=True)
class FieldRef:
    path: str
    label: str  # the whole way there: "Study > Author 1 (Ada Lovelace) > ORCID iD"
    section: str  # the top-level section it is in: "Study"
    kind: str  # "field", "group", "list" or "item"


def _join(prefix: str, name: str | int) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def item_label(group: Group, index: int, item: Any) -> str:
    """'Author 2', or 'Biosample 1 (HeLa cells)' when the item has a title or name."""
    named = ""
    if isinstance(item, dict):
        named = str(item.get("title") or item.get("name") or "").strip()
    if len(named) > 40:
        named = named[:39] + "…"
    return f"{group.item_label} {index + 1}" + (f" ({named})" if named else "")


def _walk(
    node: Group, value: Any, path: str, trail: list[str], section: str, out: list[FieldRef]
) -> None:
    children = node.children
    for child in children:
        child_path = _join(path, child.name)
        child_value = value.get(child.name) if isinstance(value, dict) else None
        here = [*trail, child.label]
        top = section or child.label
        if isinstance(child, Field):
            if child.kind != "key":
                out.append(FieldRef(child_path, SEPARATOR.join(here), top, "field"))
            continue
        if not child.many:
            out.append(FieldRef(child_path, SEPARATOR.join(here), top, "group"))
            _walk(child, child_value, child_path, here, top, out)
            continue
        out.append(FieldRef(child_path, SEPARATOR.join(here), top, "list"))
        for index, item in enumerate(child_value if isinstance(child_value, list) else []):
            item_trail = [*trail, item_label(child, index, item)]
            item_path = _join(child_path, index)
            out.append(FieldRef(item_path, SEPARATOR.join(item_trail), top, "item"))
            item_group = Group(child.name, child.label, item_children(child))
            _walk(item_group, item, item_path, item_trail, top, out)


def fields_of(metadata: Any) -> list[FieldRef]:
    """Every place in this description a change request can point at, in the editor's order."""
    document, _ = clean(metadata, keep_blank=True)
    out: list[FieldRef] = []
    _walk(REMBI, document, "", [], "", out)
    return out


def known_paths(metadata: Any) -> frozenset[str]:
    """Every path `fields_of` lists, and the aliases of those paths ("title")."""
    paths = {ref.path for ref in fields_of(metadata)}
    return frozenset(paths | {alias for alias, path in ALIASES.items() if path in paths})


def is_known_path(metadata: Any, path: str) -> bool:
    """Whether `path` (or its alias, "title") names a place `fields_of` lists."""
    return path in known_paths(metadata)


def label_of(path: str, metadata: Any = None) -> str:
    """How a path reads: 'study.authors.2.orcid' -> 'Study > Author 3 > ORCID iD'; with the
    description, items carry their titles ('Biosample 1 (HeLa cells) > Title'). A path the
    specification does not know reads as its last readable part, never as a dotted path."""
    path = ALIASES.get(path, path)
    if metadata is not None:
        for ref in fields_of(metadata):
            if ref.path == path:
                return ref.label
    parts: list[str] = []
    node: Field | Group = REMBI
    for part in path.split("."):
        if isinstance(node, Group) and node.many and part.isdigit():
            parts[-1] = f"{node.item_label} {int(part) + 1}"
            node = Group(node.name, node.label, item_children(node))
            continue
        if isinstance(node, Field) and part.isdigit():
            parts.append(f"entry {int(part) + 1}")
            break
        found = None
        if isinstance(node, Group):
            found = next((c for c in node.children if c.name == part), None)
        if found is None:
            parts.append(part.replace("_", " ").capitalize())
            break
        node = found
        parts.append(found.label)
    return SEPARATOR.join(parts)
