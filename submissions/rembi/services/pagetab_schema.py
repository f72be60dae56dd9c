"""A JSON Schema for BioStudies PageTab JSON as the BioImage Archive's BioImages.v4 template
expects it: the general PageTab shape (submission, sections, attributes, links, files) plus the
template's own demands (Template and AttachTo attributes, a Study with a title, a licence and
at least one Study Component that names its File List)."""

from __future__ import annotations

from typing import Any


def _has_attribute(name: str, value: Any = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {"properties": {"name": {"const": name}}, "required": ["name"]}
    if value is not None:
        attribute["properties"]["value"] = {"const": value}
    else:
        attribute["properties"]["value"] = {"type": "string", "minLength": 1}
    return {"contains": attribute}


def pagetab_json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "BioStudies PageTab JSON, BioImage Archive template BioImages.v4",
        "$defs": {
            "attribute": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "value": {"type": "string"},
                    "reference": {"type": "boolean"},
                    "nmqual": {"type": "array"},
                    "valqual": {"type": "array"},
                },
                "required": ["name", "value"],
                "additionalProperties": False,
            },
            "attributes": {"type": "array", "items": {"$ref": "#/$defs/attribute"}},
            "link": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "minLength": 1},
                    "attributes": {"$ref": "#/$defs/attributes"},
                },
                "required": ["url"],
                "additionalProperties": False,
            },
            "file": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "size": {"type": "integer", "minimum": 0},
                    "type": {"type": "string"},
                    "attributes": {"$ref": "#/$defs/attributes"},
                },
                "required": ["path"],
                "additionalProperties": False,
            },
            "section": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "accno": {"type": "string"},
                    "attributes": {"$ref": "#/$defs/attributes"},
                    "links": {"type": "array", "items": {"$ref": "#/$defs/link"}},
                    "files": {"type": "array", "items": {"$ref": "#/$defs/file"}},
                    "subsections": {
                        "type": "array",
                        "items": {
                            "anyOf": [
                                {"$ref": "#/$defs/section"},
                                {"type": "array", "items": {"$ref": "#/$defs/section"}},
                            ]
                        },
                    },
                },
                "required": ["type"],
                "additionalProperties": False,
            },
        },
        "type": "object",
        "properties": {
            "accno": {"type": "string"},
            "type": {"const": "Submission"},
            "attributes": {
                "allOf": [
                    {"$ref": "#/$defs/attributes"},
                    _has_attribute("Title"),
                    _has_attribute("ReleaseDate"),
                    _has_attribute("Template", "BioImages.v4"),
                    _has_attribute("AttachTo", "BioImages"),
                ]
            },
            "section": {
                "allOf": [
                    {"$ref": "#/$defs/section"},
                    {
                        "properties": {
                            "type": {"const": "Study"},
                            "attributes": {
                                "allOf": [_has_attribute("Description"), _has_attribute("License")]
                            },
                            "subsections": {
                                "contains": {
                                    "type": "object",
                                    "properties": {
                                        "type": {"const": "Study Component"},
                                        "attributes": _has_attribute("File List"),
                                    },
                                    "required": ["type", "attributes"],
                                }
                            },
                        },
                        "required": ["type", "attributes", "subsections"],
                    },
                ]
            },
        },
        "required": ["attributes", "section"],
        "additionalProperties": False,
    }
