"""Every REMBI rule: malformed values are refused with a clear message at their dotted path;
missing values only stop submitting, and the refusal lists every gap at once."""

from __future__ import annotations

import copy
import datetime
import time
from typing import Any

import pytest

from submissions.rembi import services as rembi
from submissions.rembi.services import vocab
from tests.factories import complete_rembi


def errors_for(**study: Any) -> dict[str, list[str]]:
    return rembi.clean(complete_rembi(**study))[1]


def with_author(**author: Any) -> dict[str, list[str]]:
    person = {"name": "A. Person", "affiliation": {"name": "Somewhere"}, **author}
    return errors_for(authors=[person])


@pytest.mark.parametrize(
    "orcid",
    [
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "0000000218250097",
        "0000-0002-1694-233X",
    ],
)
def test_valid_orcids_are_accepted_and_normalised(orcid: str) -> None:
    document, errors = rembi.clean(complete_rembi(authors=[{"name": "A", "orcid": orcid}]))
    assert errors == {}
    assert document["study"]["authors"][0]["orcid"] in {
        "0000-0002-1825-0097",
        "0000-0002-1694-233X",
    }


def test_orcid_with_a_wrong_check_digit_is_refused_at_its_path() -> None:
    errors = with_author(orcid="0000-0002-1825-0098")
    assert "check digit" in errors["study.authors.0.orcid"][0]


def test_orcid_of_the_wrong_shape_says_what_shape_is_expected() -> None:
    errors = with_author(orcid="1234")
    assert "16 digits" in errors["study.authors.0.orcid"][0]


def test_iso_7064_checksum_matches_known_identifiers() -> None:
    assert vocab.orcid_checksum_ok("0000000218250097")
    assert vocab.orcid_checksum_ok("000000021694233X")
    assert not vocab.orcid_checksum_ok("0000000218250096")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("10.1038/s41592-021-01166-8", "10.1038/s41592-021-01166-8"),
        ("https://doi.org/10.1038/nmeth.2019", "10.1038/nmeth.2019"),
        ("doi:10.5281/zenodo.123", "10.5281/zenodo.123"),
    ],
)
def test_dois_are_accepted_in_their_common_forms(given: str, stored: str) -> None:
    document, errors = rembi.clean(complete_rembi(publications=[{"title": "P", "doi": given}]))
    assert errors == {}
    assert document["study"]["publications"][0]["doi"] == stored


@pytest.mark.parametrize("doi", ["11.1234/x", "10.12/short", "not a doi", "10.1234"])
def test_malformed_doi_is_refused(doi: str) -> None:
    errors = errors_for(publications=[{"title": "P", "doi": doi}])
    assert "DOI" in errors["study.publications.0.doi"][0]


def test_pubmed_id_and_year_are_checked() -> None:
    errors = errors_for(publications=[{"title": "P", "pubmed_id": "PMC12", "year": "21"}])
    assert "PubMed" in errors["study.publications.0.pubmed_id"][0]
    assert "year" in errors["study.publications.0.year"][0]


@pytest.mark.parametrize("day", ["2026-02-30", "31/12/2026", "tomorrow", "2026-1-5", "3026-01-01"])
def test_malformed_release_date_is_refused(day: str) -> None:
    assert "study.release_date" in errors_for(release_date=day)


def test_unknown_licence_is_refused_with_the_list_of_licences() -> None:
    errors = errors_for(licence="https://example.org/my-licence")
    assert "CC BY 4.0" in errors["study.licence"][0]
    assert "CC0 1.0" in errors["study.licence"][0]


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
        (
            "http://creativecommons.org/publicdomain/zero/1.0",
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        (
            "https://creativecommons.org/licenses/by-nc-nd/4.0/",
            "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        ),
    ],
)
def test_licences_are_stored_as_canonical_urls(given: str, url: str) -> None:
    document, errors = rembi.clean(complete_rembi(licence=given))
    assert errors == {}
    assert document["study"]["licence"] == url


def test_one_megabyte_description_is_refused_with_a_clear_message() -> None:
    errors = errors_for(description="x" * 1_048_576)
    assert errors["study.description"] == [
        "At most 20,000 characters, please (this has 1,048,576)."
    ]


def test_five_hundred_authors_are_accepted_quickly() -> None:
    authors = [
        {
            "name": f"Author {n}",
            "email": f"a{n}@example.org",
            "contact": n == 0,
            "affiliation": {"name": "Consortium"},
        }
        for n in range(500)
    ]
    started = time.perf_counter()
    assert rembi.problems(complete_rembi(authors=authors)) == {}
    assert time.perf_counter() - started < 2


def test_more_than_five_hundred_authors_are_refused_with_advice() -> None:
    authors = [{"name": f"Author {n}"} for n in range(501)]
    message = errors_for(authors=authors)["study.authors"][0]
    assert "at most 500 authors" in message
    assert "consortium" in message


def test_e_mail_url_ror_and_taxon_are_checked() -> None:
    errors = rembi.clean(
        complete_rembi(
            authors=[
                {"name": "A", "email": "not-mail", "affiliation": {"name": "X", "ror": "ror"}}
            ],
            links=[{"url": "javascript:alert(1)"}],
        )
        | {"biosamples": [{"title": "B", "organism": {"scientific_name": "Foo", "taxon_id": "-3"}}]}
    )[1]
    assert set(errors) >= {
        "study.authors.0.email",
        "study.authors.0.affiliation.ror",
        "study.links.0.url",
        "biosamples.0.organism.taxon_id",
    }


def test_ror_id_is_stored_as_a_url() -> None:
    authors = [{"name": "A", "affiliation": {"name": "Brown", "ror": "05gq02987"}}]
    document, errors = rembi.clean(complete_rembi(authors=authors))
    assert errors == {}
    assert document["study"]["authors"][0]["affiliation"]["ror"] == "https://ror.org/05gq02987"


def test_imaging_method_name_fills_its_fbbi_id_and_back() -> None:
    metadata = complete_rembi()
    metadata["acquisitions"][0]["imaging_method"] = {"name": "confocal microscopy", "id": ""}
    document, errors = rembi.clean(metadata)
    assert errors == {}
    assert document["acquisitions"][0]["imaging_method"]["id"] == "FBbi:00000251"
    metadata["acquisitions"][0]["imaging_method"] = {"name": "", "id": "FBbi_00000369"}
    document, _ = rembi.clean(metadata)
    assert document["acquisitions"][0]["imaging_method"] == {"name": "SPIM", "id": "FBbi:00000369"}


def test_a_synonym_finds_the_term() -> None:
    metadata = complete_rembi()
    metadata["acquisitions"][0]["imaging_method"] = {"name": "FIB-SEM", "id": ""}
    document, errors = rembi.clean(metadata)
    assert errors == {}
    assert document["acquisitions"][0]["imaging_method"]["id"] == "FBbi:00050000"


def test_a_stain_is_not_an_imaging_method() -> None:
    metadata = complete_rembi()
    metadata["acquisitions"][0]["imaging_method"] = {"name": "", "id": "FBbi:00000056"}
    errors = rembi.clean(metadata)[1]
    assert "not an imaging method" in errors["acquisitions.0.imaging_method.id"][0]


def test_unknown_method_name_is_refused() -> None:
    metadata = complete_rembi()
    metadata["acquisitions"][0]["imaging_method"] = {"name": "my microscope", "id": ""}
    assert "FBbi" in rembi.clean(metadata)[1]["acquisitions.0.imaging_method.name"][0]


def test_listed_organism_fills_its_taxon_and_common_name() -> None:
    metadata = complete_rembi()
    metadata["biosamples"][0]["organism"] = {"scientific_name": "danio rerio"}
    document, errors = rembi.clean(metadata)
    assert errors == {}
    assert document["biosamples"][0]["organism"] == {
        "scientific_name": "Danio rerio",
        "taxon_id": "7955",
        "common_name": "zebrafish",
    }


def test_any_valid_taxon_id_is_accepted_for_an_unlisted_organism() -> None:
    metadata = complete_rembi()
    metadata["biosamples"][0]["organism"] = {
        "scientific_name": "Hypsibius exemplaris",
        "taxon_id": "NCBITaxon:2072580",
    }
    document, errors = rembi.clean(metadata)
    assert errors == {}
    assert document["biosamples"][0]["organism"]["taxon_id"] == "2072580"


def test_a_listed_taxon_id_must_match_its_name() -> None:
    metadata = complete_rembi()
    metadata["biosamples"][0]["organism"] = {"scientific_name": "Mus musculus", "taxon_id": "9606"}
    assert "Homo sapiens" in rembi.clean(metadata)[1]["biosamples.0.organism.taxon_id"][0]


def test_unknown_fields_and_wrong_types_are_named() -> None:
    errors = rembi.clean({"study": {"title": ["a"], "colour": "red"}, "extra": 1})[1]
    assert errors["study.title"] == ["Must be text."]
    assert errors["study.colour"] == ["Unknown field."]
    assert errors["extra"] == ["Unknown field."]


def test_control_characters_are_removed_and_html_is_kept_as_text() -> None:
    document, errors = rembi.clean(
        complete_rembi(title="<b>Bold</b>\x00 title of a long dataset\x07")
    )
    assert errors == {}
    assert document["study"]["title"] == "<b>Bold</b> title of a long dataset"


def test_blank_repeated_items_stay_until_removed_and_keys_are_given() -> None:
    """An item added but not filled in yet is kept in its place (it never silently vanishes);
    it is a missing-value problem when submitting."""
    metadata = complete_rembi(grants=[{}, {"funder": "", "grant_id": ""}])
    metadata["specimens"].append({"title": "Fixed", "sample_preparation": "PFA"})
    document, errors = rembi.clean(metadata)
    assert errors == {}
    assert document["study"]["grants"] == [{"funder": "", "grant_id": ""}] * 2
    assert document["specimens"][1]["key"] == "specimen-1"
    problems = rembi.problems(metadata)
    assert problems["study.grants.0.funder"] == ["This is required."]
    assert problems["study.grants.1.grant_id"] == ["This is required."]


def test_an_optional_section_with_only_an_empty_item_is_kept() -> None:
    with_item = {**complete_rembi(), "annotations": {"files": [{}]}}
    document, _ = rembi.clean(with_item)
    assert document["annotations"]["files"] == [{"file": "", "source_image": ""}]
    empty = {**complete_rembi(), "annotations": {"overview": " ", "files": []}}
    assert rembi.clean(empty)[0]["annotations"] is None


def test_errors_keep_the_index_that_was_sent() -> None:
    errors = errors_for(authors=[{}, {"name": "B", "orcid": "bad"}])
    assert "study.authors.1.orcid" in errors


def test_duplicate_keys_are_refused() -> None:
    metadata = complete_rembi()
    metadata["specimens"].append({**metadata["specimens"][0]})
    assert "specimens.1.key" in rembi.clean(metadata)[1]


def test_complete_description_has_no_problems() -> None:
    assert rembi.problems(complete_rembi()) == {}


def test_problems_list_every_gap_at_once_with_dotted_paths() -> None:
    metadata = complete_rembi(
        title="Too short",
        authors=[
            {"name": "A", "email": "a@example.org", "affiliation": {"name": "X"}},
            {"name": "B", "affiliation": {"name": "X"}},
            {"name": "", "orcid": "0000-0002-1825-0098", "affiliation": {"name": ""}},
        ],
        publications=[{"title": "No identifier"}],
    )
    metadata["components"][0]["biosample"] = "gone"
    del metadata["specimens"]
    problems = rembi.problems(metadata)
    assert set(problems) >= {
        "study.title",
        "study.authors.2.name",
        "study.authors.2.orcid",
        "study.authors.2.affiliation.name",
        "study.publications.0.doi",
        "specimens",
        "components.0.biosample",
        "components.0.specimen",
    }


def test_a_contact_author_with_an_e_mail_is_needed() -> None:
    metadata = complete_rembi(authors=[{"name": "A", "affiliation": {"name": "X"}}])
    assert "study.authors.0.contact" in rembi.problems(metadata)
    # An e-mail alone is not enough: only contacts' addresses are published, so one is needed.
    metadata = complete_rembi(
        authors=[{"name": "A", "email": "a@example.org", "affiliation": {"name": "X"}}]
    )
    assert "study.authors.0.contact" in rembi.problems(metadata)
    metadata["study"]["authors"][0]["contact"] = True
    assert "study.authors.0.contact" not in rembi.problems(metadata)


def test_the_contact_flag_is_stored_as_true_or_false() -> None:
    document, errors = rembi.clean(
        complete_rembi(
            authors=[
                {"name": "A", "contact": "yes", "affiliation": {"name": "X"}},
                {"name": "B", "affiliation": {"name": "X"}},
                {"name": "C", "contact": "maybe", "affiliation": {"name": "X"}},
            ]
        )
    )
    assert [a["contact"] for a in document["study"]["authors"]] == [True, False, False]
    assert errors == {"study.authors.2.contact": ["Must be yes or no."]}


def test_release_date_must_not_have_passed_nor_be_too_far() -> None:
    today = datetime.date(2026, 6, 1)
    assert "study.release_date" in rembi.problems(
        complete_rembi(release_date="2026-05-31"), today=today
    )
    assert "study.release_date" in rembi.problems(
        complete_rembi(release_date="2031-06-02"), today=today
    )
    assert rembi.problems(complete_rembi(release_date="2026-06-01"), today=today) == {}


def test_optional_sections_need_their_own_required_fields_only_when_used() -> None:
    metadata = copy.deepcopy(complete_rembi())
    assert rembi.problems(metadata) == {}
    metadata["annotations"] = {"overview": "Masks of nuclei", "types": ["segmentation_mask"]}
    metadata["correlation"] = {"fiducials_used": "beads"}
    problems = rembi.problems(metadata)
    assert set(problems) == {"annotations.method", "correlation.spatial_and_temporal_alignment"}


def test_unknown_annotation_type_is_refused() -> None:
    metadata = complete_rembi()
    metadata["annotations"] = {"overview": "o", "method": "m", "types": ["sparkles"]}
    assert "annotations.types" in rembi.clean(metadata)[1]
