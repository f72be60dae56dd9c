"""Exports: REMBI JSON and BioImage Archive PageTab (template BioImages.v4) with one File List
TSV per study component (first column `Files`)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus

from . import vocab
from .schema import FORMAT
from .validate import clean

PAGETAB_TEMPLATE = "BioImages.v4"
PAGETAB_COLLECTION = "BioImages"
ARCHIVABLE = (FileStatus.VERIFIED, FileStatus.INSPECTED)


def rembi_document(submission: Submission, *, schema_url: str = "") -> dict[str, Any]:
    document, _ = clean(submission.metadata)
    head: dict[str, Any] = {
        "format": FORMAT,
        "submission": {
            "id": str(submission.pk),
            "accession": submission.accession,
            "status": submission.status,
            "facility": submission.facility.slug,
            "updated_at": submission.updated_at.isoformat(),
        },
    }
    if schema_url:
        head = {"$schema": schema_url, **head}
    return {**head, **document}


# --- file lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileList:
    index: int  # 1-based, as in the name
    component: str
    files: tuple[DataFile, ...]

    @property
    def name(self) -> str:
        return f"file-list-{self.index}.tsv"


def _cell(text: object) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def file_lists(submission: Submission) -> list[FileList]:
    """Each component's files: those its patterns match; a component without patterns gets
    every archivable file no patterned component claimed."""
    document, _ = clean(submission.metadata)
    files = list(submission.files.filter(status__in=ARCHIVABLE).order_by("name", "created_at"))
    components = document["components"]
    claimed: set[object] = set()
    matched: list[list[DataFile]] = []
    for component in components:
        patterns = component["files"]
        chosen = [
            f for f in files if any(fnmatch.fnmatchcase(f.name, pattern) for pattern in patterns)
        ]
        claimed.update(f.pk for f in chosen)
        matched.append(chosen)
    unclaimed = [f for f in files if f.pk not in claimed]
    return [
        FileList(
            index=n,
            component=component["name"],
            files=tuple(matched[n - 1] if component["files"] else unclaimed),
        )
        for n, component in enumerate(components, start=1)
    ]


def file_list_tsv(file_list: FileList) -> str:
    lines = ["Files\tSize\tSHA-256"]
    lines += [f"{_cell(f.name)}\t{f.size}\t{_cell(f.sha256)}" for f in file_list.files]
    return "\n".join(lines) + "\n"


# --- PageTab ----------------------------------------------------------------------------------


def _attr(name: str, value: object, **extra: object) -> dict[str, Any]:
    return {"name": name, "value": str(value), **extra}


def _attrs(*pairs: tuple[str, object]) -> list[dict[str, Any]]:
    return [_attr(name, value) for name, value in pairs if value not in ("", None, [])]


def _study_subsections(study: dict[str, Any]) -> list[dict[str, Any]]:
    organisations: dict[tuple[str, str], str] = {}
    for author in study["authors"]:
        key = (author["affiliation"]["name"], author["affiliation"]["ror"])
        organisations.setdefault(key, f"o{len(organisations) + 1}")
    sections: list[dict[str, Any]] = []
    for author in study["authors"]:
        key = (author["affiliation"]["name"], author["affiliation"]["ror"])
        attributes = _attrs(
            ("Name", author["name"]),
            # Only a contact's address is published (study.authors.N.contact).
            ("E-mail", author["email"] if author["contact"] else ""),
            ("Role", author["role"]),
            ("ORCID", author["orcid"]),
        )
        attributes.append(_attr("affiliation", organisations[key], reference=True))
        sections.append({"type": "author", "attributes": attributes})
    for (name, ror), accno in organisations.items():
        sections.append(
            {
                "type": "organization",
                "accno": accno,
                "attributes": _attrs(("Name", name), ("RORID", ror)),
            }
        )
    for publication in study["publications"]:
        sections.append(
            {
                "type": "Publication",
                "attributes": _attrs(
                    ("Title", publication["title"]),
                    ("Authors", publication["authors"]),
                    ("Year", publication["year"]),
                    ("DOI", publication["doi"]),
                    ("Pubmed ID", publication["pubmed_id"]),
                ),
            }
        )
    for grant in study["grants"]:
        sections.append(
            {
                "type": "Funding",
                "attributes": _attrs(("Agency", grant["funder"]), ("grant_id", grant["grant_id"])),
            }
        )
    return sections


def _titles(items: list[dict[str, Any]]) -> dict[str, str]:
    return {item["key"]: item["title"] for item in items}


def _rembi_sections(document: dict[str, Any], lists: list[FileList]) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    biosamples = _titles(document["biosamples"])
    specimens = _titles(document["specimens"])
    acquisitions = _titles(document["acquisitions"])
    for n, component in enumerate(document["components"], start=1):
        associations = _attrs(
            ("Biosample", biosamples.get(component["biosample"], "")),
            ("Specimen", specimens.get(component["specimen"], "")),
            ("Image acquisition", acquisitions.get(component["acquisition"], "")),
        )
        if document["correlation"]:
            associations.append(_attr("Image correlation", "Image correlation"))
        if document["analysis"]:
            associations.append(_attr("Image analysis", "Image analysis"))
        sections.append(
            {
                "type": "Study Component",
                "accno": f"Study Component-{n}",
                "attributes": _attrs(
                    ("Name", component["name"]),
                    ("Description", component["description"]),
                    ("File List", lists[n - 1].name),
                ),
                "subsections": [{"type": "Associations", "attributes": associations}],
            }
        )
    for n, biosample in enumerate(document["biosamples"], start=1):
        organism = biosample["organism"]
        attributes = _attrs(
            ("Title", biosample["title"]),
            ("Biological entity", biosample["biological_entity"]),
            ("Description", biosample["description"]),
        )
        for label, key in (
            ("Intrinsic variable", "intrinsic_variables"),
            ("Extrinsic variable", "extrinsic_variables"),
            ("Experimental variable", "experimental_variables"),
        ):
            attributes += [_attr(label, value) for value in biosample[key]]
        sections.append(
            {
                "type": "Biosample",
                "accno": f"Biosample-{n}",
                "attributes": attributes,
                "subsections": [
                    {
                        "type": "Organism",
                        "accno": f"Organism-{n}",
                        "attributes": _attrs(
                            ("Scientific name", organism["scientific_name"]),
                            ("Common name", organism["common_name"]),
                            (
                                "NCBI taxon ID",
                                f"NCBI:txid{organism['taxon_id']}" if organism["taxon_id"] else "",
                            ),
                        ),
                    }
                ],
            }
        )
    for n, specimen in enumerate(document["specimens"], start=1):
        sections.append(
            {
                "type": "Specimen",
                "accno": f"Specimen-{n}",
                "attributes": _attrs(
                    ("Title", specimen["title"]),
                    ("Sample Preparation Protocol", specimen["sample_preparation"]),
                    ("Growth Protocol", specimen["growth_protocol"]),
                ),
            }
        )
    for n, acquisition in enumerate(document["acquisitions"], start=1):
        method = acquisition["imaging_method"]
        sections.append(
            {
                "type": "Image Acquisition",
                "accno": f"Image Acquisition-{n}",
                "attributes": _attrs(
                    ("Title", acquisition["title"]),
                    ("Imaging Instrument", acquisition["instrument"]),
                    ("Image Acquisition Parameters", acquisition["parameters"]),
                ),
                "subsections": [
                    {
                        "type": "Imaging Method",
                        "accno": f"Imaging Method-{n}",
                        "attributes": _attrs(
                            ("Ontology Value", method["name"]),
                            ("Ontology Name", "Biological Imaging Methods Ontology (FBbi)"),
                            (
                                "Ontology Term ID",
                                f"http://purl.obolibrary.org/obo/{method['id'].replace(':', '_')}"
                                if method["id"]
                                else "",
                            ),
                        ),
                    }
                ],
            }
        )
    if document["correlation"]:
        correlation = document["correlation"]
        sections.append(
            {
                "type": "Image Correlation",
                "accno": "Image Correlation-1",
                "attributes": _attrs(
                    ("Title", "Image correlation"),
                    (
                        "Spatial and temporal alignment",
                        correlation["spatial_and_temporal_alignment"],
                    ),
                    ("Fiducials used", correlation["fiducials_used"]),
                    ("Transformation matrix", correlation["transformation_matrix"]),
                ),
            }
        )
    if document["analysis"]:
        sections.append(
            {
                "type": "Image Analysis",
                "accno": "Image Analysis-1",
                "attributes": _attrs(
                    ("Title", "Image analysis"),
                    ("Image Analysis Overview", document["analysis"]["overview"]),
                ),
            }
        )
    if document["annotations"]:
        annotations = document["annotations"]
        sections.append(
            {
                "type": "Annotations",
                "accno": "Annotations-1",
                "attributes": _attrs(
                    ("Title", "Annotations"),
                    ("Annotation Overview", annotations["overview"]),
                    ("Annotation Method", annotations["method"]),
                    ("Annotation Type", ",".join(annotations["types"])),
                    ("Annotation Criteria", annotations["criteria"]),
                    ("Annotation Coverage", annotations["coverage"]),
                ),
                "files": [
                    {
                        "path": item["file"],
                        "attributes": _attrs(("Source image", item["source_image"])),
                    }
                    for item in annotations["files"]
                ],
            }
        )
    return sections


def pagetab(submission: Submission) -> dict[str, Any]:
    """The submission as BioStudies PageTab JSON for the BioImage Archive."""
    document, _ = clean(submission.metadata)
    study = document["study"]
    lists = file_lists(submission)
    study_attributes = _attrs(
        ("Description", study["description"]),
        ("License", vocab.LICENCES.get(study["licence"], study["licence"])),
    )
    study_attributes += [_attr("Keyword", keyword) for keyword in study["keywords"]]
    study_attributes += _attrs(
        ("Funding statement", study["funding_statement"]),
        ("Acknowledgements", study["acknowledgements"]),
    )
    return {
        "accno": submission.accession or "",
        "type": "Submission",
        "attributes": _attrs(
            ("Title", study["title"] or submission.title),
            ("ReleaseDate", study["release_date"]),
            ("AttachTo", PAGETAB_COLLECTION),
            ("Template", PAGETAB_TEMPLATE),
        ),
        "section": {
            "type": "Study",
            "attributes": study_attributes,
            "links": [
                {"url": link["url"], "attributes": _attrs(("Description", link["description"]))}
                for link in study["links"]
            ],
            "subsections": _study_subsections(study) + _rembi_sections(document, lists),
        },
    }
