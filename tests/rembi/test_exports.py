"""Exports: REMBI JSON validates against the schema the API publishes; PageTab (BioImages.v4)
validates against its schema; one File List TSV per study component, first column `Files`."""

from __future__ import annotations

import csv
import io

import jsonschema
import pytest

from submissions.accounts.models import User
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission
from submissions.rembi import services as rembi
from submissions.uploads.models import FileStatus
from tests.conftest import client_for
from tests.factories import DataFileFactory, complete_rembi

pytestmark = pytest.mark.django_db
BASE = "/api/v1/submissions/"


def validator(schema: dict) -> jsonschema.Draft202012Validator:  # type: ignore[type-arg]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_rembi_export_validates_against_the_published_schema(
    ready: Submission, researcher: User, api
) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/v1/rembi/schema/").json()
    document = client_for(researcher).get(f"{BASE}{ready.pk}/rembi/").json()
    assert document["$schema"].endswith("/api/v1/rembi/schema/")
    validator(schema).validate(document)
    assert document["acquisitions"][0]["imaging_method"]["id"] == "FBbi:00000253"


def test_schema_rejects_an_unfinished_draft(draft: Submission, researcher: User, api) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/v1/rembi/schema/").json()
    document = client_for(researcher).get(f"{BASE}{draft.pk}/rembi/").json()
    messages = [e.message for e in validator(schema).iter_errors(document)]
    assert messages  # e.g. an empty licence and no biosamples


def test_full_description_with_optional_sections_validates(researcher: User, facility) -> None:  # type: ignore[no-untyped-def]
    metadata = complete_rembi(
        grants=[{"funder": "Wellcome", "grant_id": "221/Z"}],
        links=[{"url": "https://example.org/protocol", "description": "Protocol"}],
        funding_statement="Funded by Wellcome.",
        acknowledgements="The imaging facility.",
    )
    metadata["correlation"] = {
        "spatial_and_temporal_alignment": "Landmarks",
        "fiducials_used": "beads",
    }
    metadata["analysis"] = {"overview": "Segmentation with Cellpose."}
    metadata["annotations"] = {
        "overview": "Nuclei masks",
        "method": "Manual",
        "types": ["segmentation_mask"],
        "files": [{"file": "masks/m1.tif", "source_image": "raw/cell_01.tif"}],
    }
    submission = services.create_submission(
        user=researcher, facility=facility, title="t", metadata=metadata
    )
    document = rembi.rembi_document(submission)
    validator(rembi.rembi_json_schema()).validate(document)
    page = rembi.pagetab(submission)
    validator(rembi.pagetab_json_schema()).validate(page)
    types = [s["type"] for s in page["section"]["subsections"]]
    assert {"Image Correlation", "Image Analysis", "Annotations", "Funding"} <= set(types)


def test_pagetab_is_bioimages_v4_and_validates(ready: Submission, researcher: User, api) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/v1/pagetab/schema/").json()
    page = client_for(researcher).get(f"{BASE}{ready.pk}/pagetab/").json()
    validator(schema).validate(page)
    attributes = {a["name"]: a["value"] for a in page["attributes"]}
    assert attributes["Template"] == "BioImages.v4"
    assert attributes["AttachTo"] == "BioImages"
    study = page["section"]
    assert study["type"] == "Study"
    sections = {s["type"]: s for s in study["subsections"]}
    assert {
        "author",
        "organization",
        "Publication",
        "Study Component",
        "Biosample",
        "Specimen",
        "Image Acquisition",
    } <= set(sections)
    component = sections["Study Component"]
    assert {"name": "File List", "value": "file-list-1.tsv"} in component["attributes"]
    associations = {a["name"]: a["value"] for a in component["subsections"][0]["attributes"]}
    assert associations == {
        "Biosample": "HeLa cells",
        "Specimen": "Live cells",
        "Image acquisition": "Spinning disk",
    }
    author = sections["author"]["attributes"]
    assert {"name": "affiliation", "value": "o1", "reference": True} in author
    assert {"name": "ORCID", "value": "0000-0002-1825-0097"} in author


def test_pagetab_schema_refuses_a_page_without_its_template(ready: Submission) -> None:
    page = rembi.pagetab(ready)
    page["attributes"] = [a for a in page["attributes"] if a["name"] != "Template"]
    assert list(validator(rembi.pagetab_json_schema()).iter_errors(page))


def tsv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter="\t"))


def test_one_file_list_per_component_first_column_files(researcher: User, facility) -> None:  # type: ignore[no-untyped-def]
    metadata = complete_rembi()
    metadata["components"][0]["files"] = ["raw/*"]
    metadata["components"].append({**metadata["components"][0], "name": "Masks", "files": []})
    submission = services.create_submission(
        user=researcher, facility=facility, title="t", metadata=metadata
    )
    DataFileFactory(
        submission=submission, status=FileStatus.VERIFIED, name="raw/a.tif", size=10, sha256="ab"
    )
    DataFileFactory(submission=submission, status=FileStatus.VERIFIED, name="masks/a\tb\nc.tif")
    DataFileFactory(submission=submission, status=FileStatus.FAILED, name="raw/broken.tif")
    api = client_for(researcher)
    lists = api.get(f"{BASE}{submission.pk}/file-lists/").json()
    assert [(fl["name"], fl["component"], fl["files"]) for fl in lists] == [
        ("file-list-1.tsv", "Time-lapse", 1),
        ("file-list-2.tsv", "Masks", 1),
    ]
    first = api.get(f"{BASE}{submission.pk}/file-lists/1/")
    assert first["Content-Type"].startswith("text/tab-separated-values")
    assert tsv_rows(first.content.decode()) == [
        ["Files", "Size", "SHA-256"],
        ["raw/a.tif", "10", "ab"],
    ]
    second = tsv_rows(api.get(f"{BASE}{submission.pk}/file-lists/2/").content.decode())
    assert second[0][0] == "Files"
    assert second[1][0] == "masks/a b c.tif"
    assert api.get(f"{BASE}{submission.pk}/file-lists/3/").status_code == 404


def test_flatten_gives_display_values_by_dotted_path() -> None:
    flat = rembi.flatten(complete_rembi())
    assert flat["study.title"] == "Mitochondrial dynamics in HeLa cells under oxidative stress"
    assert flat["study.licence"] == "CC BY 4.0"
    assert flat["study.keywords"] == "mitochondria, live imaging"
    assert flat["study.authors.0.orcid"] == "0000-0002-1825-0097"
    assert flat["biosamples.0.organism.taxon_id"] == "9606"
    assert flat["components.0.biosample"] == "HeLa cells"
    assert flat["acquisitions.0.imaging_method.id"] == "FBbi:00000253"
    assert "study.funding_statement" not in flat
    assert all(isinstance(v, str) for v in flat.values())
