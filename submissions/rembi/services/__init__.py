"""REMBI metadata: the declaration (spec), validation, display, exports and vocabularies.

Public interface:
- clean(metadata) -> (document, errors): shape and check values; any error refuses a save.
- problems(metadata) -> errors: everything that stops a submission (missing or invalid).
- flatten(metadata) -> {dotted path: display value}: for the read-only page and diffs.
- display_tree(metadata): blocks for templates/submissions/_metadata.html.
- public_document(metadata): what released pages and exports show (contacts' e-mails only).
- rembi_document / rembi_json_schema, pagetab / pagetab_json_schema, file_lists /
  file_list_tsv: the exports.
"""

from __future__ import annotations

from .display import display_tree, flatten
from .export import file_list_tsv, file_lists, pagetab, rembi_document
from .pagetab_schema import pagetab_json_schema
from .public import public_document
from .schema import rembi_json_schema
from .validate import clean, problems

__all__ = [
    "clean",
    "display_tree",
    "file_list_tsv",
    "file_lists",
    "flatten",
    "pagetab",
    "pagetab_json_schema",
    "problems",
    "public_document",
    "rembi_document",
    "rembi_json_schema",
]
