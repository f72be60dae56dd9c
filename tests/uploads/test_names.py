"""Display names are sanitised, stored apart from keys, and unique within a submission."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile
from submissions.uploads.services import sanitise_name
from tests.conftest import client_for
from tests.uploads.helpers import create


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "etc/passwd"),
        ("..\\..\\windows\\evil.tif", "windows/evil.tif"),
        ("/absolute/cell.tif", "absolute/cell.tif"),
        ("cell\x00.tif", "cell.tif"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("  spaced name.tif  ", "spaced name.tif"),
        ("run1/./cell.tif", "run1/cell.tif"),
        ("e\u0301toile.tif", "étoile.tif"),
    ],
)
def test_hostile_names_become_safe(raw: str, clean: str) -> None:
    assert sanitise_name(raw) == clean


def test_long_name_is_cut_to_255_keeping_the_extension() -> None:
    name = sanitise_name("a" * 300 + ".ome.tif")
    assert len(name) == 255
    assert name.endswith(".ome.tif")


@pytest.mark.django_db
def test_name_is_stored_apart_from_the_key_and_duplicates_are_numbered(
    researcher: User, draft: Submission
) -> None:
    client = client_for(researcher)
    first = create(client, draft, "../cell.tif", b"abc").json()
    second = create(client, draft, "cell.tif", b"abcd").json()
    third = create(client, draft, "x/../cell.tif", b"abcde").json()
    assert [first["name"], second["name"], third["name"]] == [
        "cell.tif",
        "cell (2).tif",
        "x/cell.tif",
    ]
    keys = set(DataFile.objects.values_list("storage_key", flat=True))
    assert all(key.startswith(f"uploads/{draft.pk}/") for key in keys)
    assert not any("cell" in key or ".." in key for key in keys)


@pytest.mark.django_db
def test_a_name_of_only_invisible_characters_is_refused(
    researcher: User, draft: Submission
) -> None:
    response = create(client_for(researcher), draft, "\x00\u202e/../", b"abc")
    assert response.status_code == 400
    assert "name" in response.json()["fields"]
    long = create(client_for(researcher), draft, "b" * 300, b"abc")
    assert long.status_code == 201
    assert len(long.json()["name"]) == 255
