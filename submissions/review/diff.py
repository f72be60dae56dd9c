"""What changed between two submits: metadata (by dotted path) and the file list (by file id).

The API compares the stored values by path; the review page compares them as people read them
(`submissions.rembi.services.flatten`: a link between items reads as the linked item's title,
a licence by its name)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from submissions.review.field_paths import flatten


@dataclass(frozen=True)
class FieldChange:
    path: str
    change: str  # added | removed | changed
    old: Any
    new: Any
    label: str = ""  # how people read the path (set by review.selectors)


@dataclass(frozen=True)
class FileChange:
    file_id: str
    name: str
    change: str  # added | removed | changed
    details: list[str]


def metadata_document(*, title: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The document the API's diff compares: the title beside the metadata's own keys."""
    return {"title": title, **{k: v for k, v in metadata.items() if k != "title"}}


def diff_metadata(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    before, after = flatten(old), flatten(new)
    changes: list[FieldChange] = []
    for path in sorted(before.keys() | after.keys(), key=_path_sort_key):
        if path not in before:
            changes.append(FieldChange(path, "added", None, after[path]))
        elif path not in after:
            changes.append(FieldChange(path, "removed", before[path], None))
        elif before[path] != after[path]:
            changes.append(FieldChange(path, "changed", before[path], after[path]))
    return changes


FILE_FIELDS = (("name", "name"), ("size", "size"), ("sha256", "checksum"), ("status", "state"))


def diff_files(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[FileChange]:
    before = {str(f["id"]): f for f in old}
    after = {str(f["id"]): f for f in new}
    changes: list[FileChange] = []
    for file_id, item in after.items():
        if file_id not in before:
            changes.append(FileChange(file_id, item["name"], "added", []))
            continue
        previous = before[file_id]
        details = [
            f"{label}: {previous.get(key)} → {item.get(key)}"
            for key, label in FILE_FIELDS
            if previous.get(key) != item.get(key)
        ]
        if details:
            changes.append(FileChange(file_id, item["name"], "changed", details))
    changes.extend(
        FileChange(file_id, item["name"], "removed", [])
        for file_id, item in before.items()
        if file_id not in after
    )
    return sorted(changes, key=lambda c: (c.name, c.file_id))


def _path_sort_key(path: str) -> list[tuple[int, int | str]]:
    # authors.2 before authors.10: numeric parts compare as numbers.
    return [(0, int(p)) if p.isdigit() else (1, p) for p in path.split(".")]
