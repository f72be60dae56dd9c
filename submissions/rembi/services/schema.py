"""The JSON Schema of Aperture's REMBI export, generated from the spec.

It describes a *complete* description, the set that submitting requires; the export of an
unfinished draft does not validate, and `problems()` says why in words.
"""

from __future__ import annotations

from typing import Any

from . import vocab
from .spec import FLAG_KIND, REMBI, Field, Group, item_children

FORMAT = "aperture-rembi/1"

_PATTERNS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "url": r"^https?://\S+$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "orcid": r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$",
    "doi": r"^10\.\d{4,9}/\S+$",
    "pmid": r"^[1-9]\d{0,8}$",
    "ror": r"^https://ror\.org/0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$",
    "year": r"^\d{4}$",
    "taxon": r"^[1-9]\d{0,7}$",
    "key": r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
}


def _field_schema(node: Field) -> dict[str, Any]:
    if node.kind == FLAG_KIND:
        return {"title": node.label, "type": "boolean"}
    if node.is_list:
        item: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": node.max_length}
        if node.kind == "choices":
            item = {"enum": [value for value, _ in node.choices]}
        schema: dict[str, Any] = {
            "type": "array",
            "items": item,
            "maxItems": node.max_items,
            "title": node.label,
        }
        if node.required:
            schema["minItems"] = 1
        return schema
    strict: dict[str, Any] = {"type": "string", "maxLength": node.max_length}
    if node.kind == "licence":
        strict = {"enum": list(vocab.LICENCES)}
    elif node.kind == "fbbi":
        strict = {"enum": [term.id for term in vocab.imaging_methods()]}
    elif node.kind in _PATTERNS:
        strict["pattern"] = _PATTERNS[node.kind]
    if node.kind == "date":
        strict["format"] = "date"
    if node.required or node.kind == "key":
        if "enum" not in strict:
            strict["minLength"] = max(1, node.min_length)
        return {"title": node.label, **strict}
    return {"title": node.label, "anyOf": [{"const": ""}, strict]}


def _object_schema(children: tuple[Field | Group, ...], label: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": label,
        "properties": {child.name: _node_schema(child) for child in children},
        "required": [child.name for child in children],
        "additionalProperties": False,
    }


def _node_schema(node: Field | Group) -> dict[str, Any]:
    if isinstance(node, Field):
        return _field_schema(node)
    if node.many:
        schema: dict[str, Any] = {
            "type": "array",
            "title": node.label,
            "items": _object_schema(item_children(node), node.item_label),
            "maxItems": node.max_items,
        }
        if node.min_items:
            schema["minItems"] = node.min_items
        return schema
    obj = _object_schema(node.children, node.label)
    if node.optional:
        return {"title": node.label, "anyOf": [{"type": "null"}, obj]}
    return obj


def rembi_json_schema(*, schema_url: str = "") -> dict[str, Any]:
    sections = _object_schema(REMBI.children, "REMBI")
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Aperture REMBI description",
        "description": (
            "REMBI (Recommended Metadata for Biological Images, Sarkans et al. 2021) as "
            "Aperture exports it. Validates a complete description: what submitting requires."
        ),
        "type": "object",
        "properties": {
            "$schema": {"type": "string"},
            "format": {"const": FORMAT},
            "submission": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "accession": {"type": ["string", "null"]},
                    "status": {"type": "string"},
                    "facility": {"type": "string"},
                    "updated_at": {"type": "string", "format": "date-time"},
                },
                "required": ["id", "status"],
            },
            **sections["properties"],
        },
        "required": ["format", "submission", *sections["required"]],
        "additionalProperties": False,
    }
    if schema_url:
        schema["$id"] = schema_url
    return schema
