"""The vocabularies ship with Aperture: FBbi in full (with attribution) and common organisms."""

from __future__ import annotations

from submissions.rembi.services import vocab


def test_fbbi_is_shipped_in_full_with_attribution() -> None:
    document = vocab.fbbi_document()
    assert document["version"] == "releases/2020-11-06"
    assert "CC BY 4.0" in str(document["licence"])
    assert document["attribution"]
    terms = vocab.fbbi_terms()
    assert len(terms) == 526
    assert terms["FBbi:00000251"].name == "confocal microscopy"
    assert terms["FBbi:00000056"].branch == "visualization method"
    methods = {t.name for t in vocab.imaging_methods()}
    assert {
        "bright-field microscopy",
        "SPIM",
        "stimulated emission depletion (STED)",
        "focussed ion beam scanning electron microscopy (FIB-SEM)",
        "X-ray computed tomography",
        "transmission electron microscopy (TEM)",
    } <= methods
    assert len(methods) == 87


def test_every_fbbi_parent_is_shipped_too() -> None:
    document = vocab.fbbi_document()
    ids = {t["id"] for t in document["terms"]}  # type: ignore[union-attr]
    for term in document["terms"]:  # type: ignore[union-attr]
        assert set(term["parents"]) <= ids


def test_organisms_have_unique_names_and_taxon_ids() -> None:
    organisms = vocab.organisms()
    assert len(organisms) >= 60
    assert len({o.taxon_id for o in organisms}) == len(organisms)
    assert vocab.organism_by_taxon()["10090"].scientific_name == "Mus musculus"


def test_search_ranks_name_prefixes_first() -> None:
    rows = [(t.id, t.name, " ".join(t.synonyms)) for t in vocab.imaging_methods()]
    names = [rows[i][1] for i in vocab.search(rows, "electron")]
    assert names[0] == "electron microscopy"
