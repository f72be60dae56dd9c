"""The REMBI description as the world may read it on a released dataset's pages and exports."""

from __future__ import annotations

from typing import Any

from .validate import clean


def public_document(metadata: Any) -> dict[str, Any]:
    """The cleaned description with each author's e-mail address kept only when that author is
    marked as the dataset's contact (`study.authors.N.contact`); the others are blanked."""
    document, _ = clean(metadata)
    for author in document["study"]["authors"]:
        if not author["contact"]:
            author["email"] = ""
    return document
