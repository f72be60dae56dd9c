"""REMBI for people: flat display values (for diffs) and a tree for the read-only page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import vocab
from .spec import REMBI, Field, Group, item_children
from .validate import clean


def _ref_title(document: dict[str, Any], section: str, key: str) -> str:
    for item in document.get(section) or []:
        if item.get("key") == key:
            return str(item.get("title") or key)
    return f"{key} (missing)"


def display_value(value: Any, node: Field, document: dict[str, Any]) -> str:
    """How a stored value reads on a page; '' when empty."""
    if value in ("", None, []) or value is False:
        return ""
    if value is True:
        return "Yes"
    if node.kind == "choices":
        labels = dict(node.choices)
        return ", ".join(labels.get(v, v) for v in value)
    if node.kind == "keywords":
        return ", ".join(value)
    if node.kind == "lines":
        return "; ".join(value)
    if node.kind == "licence":
        return vocab.LICENCES.get(value, value)
    if node.kind == "ref":
        return _ref_title(document, node.ref, value)
    return str(value)


def link_for(value: str, node: Field) -> str:
    """A safe outbound link for identifiers and URLs; '' for plain text."""
    if not value:
        return ""
    if node.kind == "url" or node.kind == "ror" or node.kind == "licence":
        return value if value.startswith(("https://", "http://")) else ""
    return {
        "orcid": f"https://orcid.org/{value}",
        "doi": f"https://doi.org/{value}",
        "pmid": f"https://pubmed.ncbi.nlm.nih.gov/{value}/",
        "taxon": f"https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id={value}",
        "fbbi": f"http://purl.obolibrary.org/obo/{value.replace(':', '_')}",
        "email": f"mailto:{value}",
    }.get(node.kind, "")


def _join(prefix: str, name: str | int) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def _flatten(
    value: Any, node: Field | Group, path: str, document: dict[str, Any], out: dict[str, str]
) -> None:
    if isinstance(node, Field):
        if node.kind != "key":
            shown = display_value(value, node, document)
            if shown:
                out[path] = shown
        return
    if node.many:
        for index, item in enumerate(value or []):
            for child in item_children(node):
                _flatten(
                    item.get(child.name),
                    child,
                    _join(_join(path, index), child.name),
                    document,
                    out,
                )
        return
    for child in node.children:
        _flatten((value or {}).get(child.name), child, _join(path, child.name), document, out)


def flatten(metadata: Any) -> dict[str, str]:
    """Dotted paths to display values, only for values that are set, e.g.
    {"study.title": "...", "study.authors.0.orcid": "0000-0002-1825-0097"}."""
    document, _ = clean(metadata)
    out: dict[str, str] = {}
    _flatten(document, REMBI, "", document, out)
    return out


@dataclass
class Row:
    label: str
    value: str
    href: str = ""
    multiline: bool = False
    path: str = ""  # where a change request about this value points (never shown)
    tags: tuple[str, ...] = ()  # keywords and choices, shown as tags


@dataclass
class Block:
    """A section or one item of a repeated section, as the read-only page shows it."""

    label: str
    anchor: str
    rows: list[Row] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    empty_text: str = ""
    path: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.rows and all(b.is_empty for b in self.blocks)


def _block(
    value: Any,
    group: Group,
    children: tuple[Field | Group, ...],
    label: str,
    path: str,
    document: dict[str, Any],
) -> Block:
    block = Block(label=label, anchor=path.replace(".", "-"), path=path)
    for child in children:
        child_path = _join(path, child.name)
        child_value = (value or {}).get(child.name)
        if isinstance(child, Field):
            shown = display_value(child_value, child, document)
            if shown and child.kind != "key":
                tags: tuple[str, ...] = ()
                if child.kind in ("keywords", "choices") and isinstance(child_value, list):
                    labels = dict(child.choices)
                    tags = tuple(str(labels.get(v, v)) for v in child_value)
                block.rows.append(
                    Row(
                        child.label,
                        shown,
                        link_for(str(child_value), child) if isinstance(child_value, str) else "",
                        multiline=child.kind == "textarea",
                        path=child_path,
                        tags=tags,
                    )
                )
        elif child.many:
            block.blocks.append(_list_block(child_value, child, child_path, document))
        else:
            inner = _block(child_value, child, child.children, child.label, child_path, document)
            if not inner.is_empty:
                block.blocks.append(inner)
    return block


def _list_block(value: Any, group: Group, path: str, document: dict[str, Any]) -> Block:
    block = Block(
        label=group.label,
        anchor=path.replace(".", "-"),
        empty_text=f"No {group.label.lower()} yet.",
        path=path,
    )
    for index, item in enumerate(value or []):
        title = item.get("title") or item.get("name") or ""
        label = f"{group.item_label} {index + 1}" + (f": {title}" if title else "")
        block.blocks.append(
            _block(item, group, item_children(group), label, _join(path, index), document)
        )
    return block


def display_tree(metadata: Any) -> list[Block]:
    """One block per REMBI section, in order; optional sections only when described."""
    document, _ = clean(metadata)
    blocks: list[Block] = []
    for node in REMBI.children:
        assert isinstance(node, Group)
        value = document.get(node.name)
        if node.many:
            blocks.append(_list_block(value, node, node.name, document))
        elif not (node.optional and value is None):
            blocks.append(_block(value, node, node.children, node.label, node.name, document))
    return blocks
