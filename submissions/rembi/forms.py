"""The REMBI editor's form: HTML field names are dotted paths ("study.authors.2.orcid"), so a
posted form turns back into the document and every error lands next to its field.

The editor's two actions besides saving, `add:<list path>` and `remove:<item path>`, are
checked against the description: anything else is refused with a message (EditorActionError,
400), never a server error.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

from django.http import QueryDict

from submissions.rembi import services
from submissions.rembi.services import vocab
from submissions.rembi.services.fields import ALIASES, label_of
from submissions.rembi.services.spec import FLAG_KIND, REMBI, Field, Group, item_children

INPUT_TYPES = {"email": "email", "url": "url", "date": "date"}
T = TypeVar("T")
DATALISTS = {"organism_name": "organism-names", "fbbi_name": "fbbi-names", "role": "author-roles"}


def _join(prefix: str, name: str | int) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def editor_path(path: str) -> str:
    """The path the editor draws a field under, for a path a curator may point at."""
    return ALIASES.get(path, path)


def anchor(path: str) -> str:
    return "f-" + editor_path(path).replace(".", "-")


# --- posted form -> document ------------------------------------------------------------------


def _indices(data: QueryDict, path: str) -> list[int]:
    prefix = path + "."
    found: set[int] = set()
    for key in data:
        if key.startswith(prefix):
            head = key[len(prefix) :].split(".", 1)[0]
            if head.isdigit() and len(head) < 7:
                found.add(int(head))
    return sorted(found)


def _parse(node: Field | Group, path: str, data: QueryDict, removed: str) -> Any:
    # A list's items are numbered as the page drew them; the posted numbers may have gaps
    # (an item removed in the page), and the document numbers them again from 0.
    if isinstance(node, Field):
        if node.kind == "choices":
            return data.getlist(path)
        return data.get(path, "")
    if not node.many:
        return {
            child.name: _parse(child, _join(path, child.name), data, removed)
            for child in node.children
        }
    return [
        {
            child.name: _parse(child, _join(_join(path, i), child.name), data, removed)
            for child in item_children(node)
        }
        for i in _indices(data, path)
        if _join(path, i) != removed
    ]


def parse_form(data: QueryDict, *, keep_removed: bool = False) -> dict[str, Any]:
    """The REMBI document a posted editor form describes (without the item it removes,
    unless `keep_removed`)."""
    action = data.get("_action", "")
    removed = action[len("remove:") :] if action.startswith("remove:") and not keep_removed else ""
    return {node.name: _parse(node, node.name, data, removed) for node in REMBI.children}


# --- document + errors -> what the template draws ---------------------------------------------


@dataclass
class BoundField:
    field: Field
    path: str
    value: Any
    errors: list[str]
    missing: list[str]
    options: list[tuple[str, str]] = dataclass_field(default_factory=list)
    autofocus: bool = False

    kind = "field"

    @property
    def id(self) -> str:
        return anchor(self.path)

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.field.kind, "text")

    @property
    def datalist(self) -> str:
        return DATALISTS.get(self.field.kind, "")

    @property
    def wide(self) -> bool:
        f = self.field
        return (
            f.kind == "textarea" or f.name == "title" or (f.kind == "text" and f.max_length >= 300)
        )

    @property
    def picker(self) -> str:
        return {"fbbi_name": "fbbi", "organism_name": "organism"}.get(self.field.kind, "")

    @property
    def sibling_prefix(self) -> str:
        """Anchor prefix of the enclosing group, for pickers that fill sibling fields."""
        return anchor(self.path.rsplit(".", 1)[0]) + "-"

    @property
    def widget(self) -> str:
        kind = self.field.kind
        if kind in {"textarea", "lines"}:
            return "textarea"
        if kind in {"licence", "ref"}:
            return "select"
        if kind == "choices":
            return "checkboxes"
        if kind == FLAG_KIND:
            return "checkbox"
        if kind == "key":
            return "hidden"
        return "input"


@dataclass
class BoundGroup:
    group: Group
    path: str
    label: str
    children: list[Any]
    errors: list[str]
    index: int | None = None

    kind = "group"

    @property
    def has_values(self) -> bool:
        for child in self.children:
            if child.kind == "field" and child.widget != "hidden" and child.value:
                return True
            if child.kind == "group" and child.has_values:
                return True
            if child.kind == "list" and child.items:
                return True
        return False

    @property
    def id(self) -> str:
        return anchor(self.path)


@dataclass
class BoundList:
    group: Group
    path: str
    items: list[BoundGroup]
    errors: list[str]

    kind = "list"

    @property
    def id(self) -> str:
        return anchor(self.path)

    @property
    def can_add(self) -> bool:
        return len(self.items) < self.group.max_items


def _text_value(value: Any, node: Field) -> Any:
    if node.kind == FLAG_KIND:
        return value is True or str(value).lower() in {"true", "yes", "on", "1"}
    if node.kind == "choices":
        return list(value or [])
    if isinstance(value, list):
        return (", " if node.kind == "keywords" else "\n").join(str(v) for v in value)
    return "" if value is None else str(value)


def _options(node: Field, document: dict[str, Any]) -> list[tuple[str, str]]:
    if node.kind == "licence":
        return list(vocab.LICENCES.items())
    if node.kind == "ref":
        group = REMBI.child(node.ref)
        assert isinstance(group, Group)
        return [
            (item["key"], item.get("title") or f"{group.item_label} {n} (untitled)")
            for n, item in enumerate(document.get(node.ref) or [], start=1)
            if item.get("key")
        ]
    return list(node.choices)


class Binder:
    def __init__(
        self,
        document: dict[str, Any],
        errors: dict[str, list[str]],
        missing: dict[str, list[str]],
        focus: str = "",
        drafts: dict[str, Any] | None = None,
    ) -> None:
        self.document = document
        self.errors = errors
        self.missing = missing
        self.focus = focus  # anchor of an item just added: its first field gets focus
        self.drafts = drafts or {}  # values kept as typed: drawn instead of the saved ones

    def node(self, node: Field | Group, value: Any, path: str) -> Any:
        if isinstance(node, Field):
            if path in self.drafts:
                value = self.drafts[path]
            return BoundField(
                field=node,
                path=path,
                value=_text_value(value, node),
                errors=self.errors.get(path, []),
                missing=[] if path in self.errors else self.missing.get(path, []),
                options=_options(node, self.document),
            )
        if node.many:
            items = []
            for index, item in enumerate(value or []):
                item_path = _join(path, index)
                bound = self.group(node, item, item_path, f"{node.item_label} {index + 1}", index)
                if self.focus == anchor(item_path):
                    first = next(
                        c for c in bound.children if c.kind == "field" and c.widget != "hidden"
                    )
                    first.autofocus = True
                items.append(bound)
            return BoundList(
                node, path, items, self.errors.get(path, []) + self.missing.get(path, [])
            )
        return self.group(node, value or {}, path, node.label)

    def group(
        self, node: Group, value: dict[str, Any], path: str, label: str, index: int | None = None
    ) -> BoundGroup:
        children = item_children(node) if index is not None else node.children
        return BoundGroup(
            group=node,
            path=path,
            label=label,
            children=[self.node(c, value.get(c.name), _join(path, c.name)) for c in children],
            errors=self.errors.get(path, []),
            index=index,
        )


def bind(
    document: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    missing: dict[str, list[str]] | None = None,
    focus: str = "",
    drafts: dict[str, Any] | None = None,
) -> list[Any]:
    """One bound node per REMBI section, for templates/submissions/_rembi_node.html."""
    binder = Binder(document, errors or {}, missing or {}, focus, drafts)
    return [binder.node(node, document.get(node.name), node.name) for node in REMBI.children]


def find_node(nodes: list[Any], path: str) -> Any:
    """The bound node drawn for `path` (a section, list, item or field), or None."""
    for node in nodes:
        if node.path == path:
            return node
        inner = node.items if node.kind == "list" else getattr(node, "children", [])
        found = find_node(inner, path) if path.startswith(node.path + ".") else None
        if found is not None:
            return found
    return None


def path_label(path: str) -> str:
    """'study.authors.2.orcid' -> 'Study > Author 3 > ORCID iD'."""
    return label_of(path)


def bound_paths(nodes: list[Any]) -> set[str]:
    """Every path the editor draws a visible field, group, list or item for: where a change
    request about that path can be shown beside the form."""
    paths: set[str] = set()
    for node in nodes:
        if node.kind == "field":
            if node.widget != "hidden":
                paths.add(node.path)
        elif node.kind == "group":
            paths.add(node.path)
            paths |= bound_paths(node.children)
        else:
            paths.add(node.path)
            paths |= bound_paths(node.items)
    return paths


def with_aliases(paths: set[str]) -> set[str]:
    """`paths` and every alias of one of them: what a change request may name them by."""
    return paths | {alias for alias, path in ALIASES.items() if path in paths}


def editor_paths(metadata: Any) -> set[str]:
    """The paths (and aliases) the editor would show a change request beside, on `metadata`."""
    document, _ = services.clean(metadata)
    return with_aliases(bound_paths(bind(document)))


def at_editor_paths(points: dict[str, list[T]]) -> dict[str, list[T]]:
    """Change-request points by target, with aliases moved to the path the editor draws."""
    merged: dict[str, list[T]] = {}
    for path, items in points.items():
        merged.setdefault(editor_path(path), []).extend(items)
    return merged
