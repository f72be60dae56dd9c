"""The diff works on any JSON shape, by dotted path, and on the file list by file id."""

from __future__ import annotations

import pytest

from submissions.review.diff import diff_files, diff_metadata
from submissions.review.field_paths import flatten, get_path, is_valid_path, set_path


def test_flatten_names_every_leaf_by_its_dotted_path() -> None:
    document = {"authors": [{"name": "A", "orcid": ""}], "tags": [], "study": {"n": 3}}
    assert flatten(document) == {
        "authors.0.name": "A",
        "authors.0.orcid": "",
        "tags": [],
        "study.n": 3,
    }


def test_metadata_diff_reports_added_removed_and_changed_fields_in_path_order() -> None:
    old = {"title": "T", "authors": [{"orcid": ""}, {"orcid": "x"}], "license": "CC0"}
    new = {"title": "T2", "authors": [{"orcid": "0000"}], "keywords": ["a"]}
    changes = [(c.path, c.change, c.old, c.new) for c in diff_metadata(old, new)]
    assert changes == [
        ("authors.0.orcid", "changed", "", "0000"),
        ("authors.1.orcid", "removed", "x", None),
        ("keywords.0", "added", None, "a"),
        ("license", "removed", "CC0", None),
        ("title", "changed", "T", "T2"),
    ]


def test_numeric_path_parts_sort_as_numbers() -> None:
    old = {"a": list(range(12))}
    new = {"a": [*range(10), 99, 98]}
    assert [c.path for c in diff_metadata(old, new)] == ["a.10", "a.11"]


def test_file_diff_by_id_sees_added_removed_and_replaced_bytes() -> None:
    old = [
        {"id": "1", "name": "a.tif", "size": 10, "sha256": "aa", "status": "inspected"},
        {"id": "2", "name": "b.tif", "size": 10, "sha256": "bb", "status": "inspected"},
    ]
    new = [
        {"id": "1", "name": "a.tif", "size": 12, "sha256": "cc", "status": "inspected"},
        {"id": "3", "name": "c.tif", "size": 1, "sha256": "dd", "status": "uploaded"},
    ]
    changes = {(c.name, c.change) for c in diff_files(old, new)}
    assert changes == {("a.tif", "changed"), ("b.tif", "removed"), ("c.tif", "added")}
    changed = next(c for c in diff_files(old, new) if c.change == "changed")
    assert "checksum: cc" not in changed.details[0]
    assert any(d.startswith("checksum: aa") for d in changed.details)


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("title", True),
        ("authors.0.orcid", True),
        ("image_acquisition.channels.12.wavelength_nm", True),
        ("", False),
        ("authors..orcid", False),
        ("0.name", False),
        ("a b", False),
        ("x" * 301, False),
        ("<script>", False),
    ],
)
def test_field_paths_are_dotted_names(path: str, valid: bool) -> None:
    assert is_valid_path(path) is valid


def test_set_path_creates_what_is_missing_and_leaves_the_original_alone() -> None:
    original = {"authors": [{"name": "A"}]}
    updated = set_path(original, "authors.1.orcid", "0000")
    assert updated == {"authors": [{"name": "A"}, {"orcid": "0000"}]}
    assert original == {"authors": [{"name": "A"}]}
    assert get_path(updated, "authors.1.orcid") == "0000"
    assert get_path(updated, "authors.5.orcid") is None
    assert set_path({"a": "text"}, "a.b", 1) == {"a": {"b": 1}}
