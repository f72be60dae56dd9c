"""Dotted paths into a JSON document: "title", "study.authors.0.orcid".

Change requests and comments store the path of the field they are about, and the review
diff compares documents flattened to paths. People never see a path: pages and mail name
fields by their REMBI labels (submissions.rembi.services.fields), and which paths exist is
the REMBI description's business (`fields.is_known_path`). Nothing here knows its shape.
"""

from __future__ import annotations

import re
from typing import Any

PATH_RE = re.compile(r"^[A-Za-z_][\w-]{0,99}(\.(\d{1,6}|[A-Za-z_][\w-]{0,99}))*$")
MAX_PATH_LENGTH = 300
# Fields of the submission itself that a path may name besides the metadata document.
TOP_LEVEL_FIELDS = frozenset({"title"})


def is_valid_path(path: str) -> bool:
    return len(path) <= MAX_PATH_LENGTH and bool(PATH_RE.match(path))


def flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a JSON document under its dotted path; empty containers are leaves."""
    if isinstance(document, dict) and document:
        flat: dict[str, Any] = {}
        for key, value in document.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    if isinstance(document, list) and document:
        flat = {}
        for index, value in enumerate(document):
            flat.update(flatten(value, f"{prefix}{index}."))
        return flat
    return {prefix.rstrip("."): document} if prefix else {}


def get_path(document: Any, path: str) -> Any:
    """The value at `path`, or None where the document has nothing there."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def set_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with `value` at `path`, creating objects and list items on the way.

    A numeric part indexes a list (extended with empty items as needed), any other part an
    object key. A part that meets a value of the other kind replaces it.
    """
    import copy

    root: Any = copy.deepcopy(document)
    parts = path.split(".")
    node = root
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        child_default: Any = [] if not last and parts[position + 1].isdigit() else {}
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
            else:
                if not isinstance(node[index], dict | list):
                    node[index] = child_default
                node = node[index]
        else:
            if last:
                node[part] = value
            else:
                current = node.get(part)
                if not isinstance(current, dict | list) or (
                    isinstance(current, list) != isinstance(child_default, list)
                ):
                    node[part] = child_default
                node = node[part]
    return root
