"""A released dataset described for machines, each form checked by a library that did not
write it: the landing page's schema.org JSON-LD (extruct finds it, pyld expands it), the GIDE
RO-Crate (ro-crate-py reads it, pyshacl checks it against shapes written from the GIDE
profile's MUST/SHOULD rules), and the datasets API's OpenAPI-described JSON.

No network: JSON-LD contexts are served locally. schema.org's context is stood in for by its
core, `@vocab` schema.org (every term used here is a schema.org term); RO-Crate 1.2's context
by the RO-Crate context ro-crate-py ships (1.3, which keeps every 1.2 term unchanged).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import extruct
import pyld.jsonld
import pytest
import rdflib
import rocrate
from django.test import Client
from pyshacl import validate
from rocrate.rocrate import ROCrate

from submissions.lifecycle.models import Submission

OBO = "http://purl.obolibrary.org/obo/"
SDO = "http://schema.org/"
SHAPES = Path(__file__).with_name("gide_profile_shapes.ttl")


def local_contexts(url: str, options: Any = None) -> dict[str, Any]:
    if url.rstrip("/") in {"https://schema.org", "http://schema.org"}:
        document: Any = {"@context": {"@vocab": SDO}}
    elif url == "https://w3id.org/ro/crate/1.2/context":
        bundled = Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld"
        document = json.loads(bundled.read_text())
    else:
        raise AssertionError(f"no network here; unexpected context {url}")
    return {"contextUrl": None, "documentUrl": url, "document": document}


def as_graph(document: dict[str, Any]) -> rdflib.Graph:
    quads = pyld.jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": local_contexts}
    )
    return rdflib.Graph().parse(data=quads, format="nquads")


@pytest.mark.django_db
def test_the_landing_page_carries_a_complete_schema_org_dataset(released: Submission) -> None:
    acc = released.accession
    html = Client().get(f"/datasets/{acc}/").content.decode()
    assert '<script type="application/ld+json">' in html  # read by indexers, never executed
    (ld,) = extruct.extract(html, syntaxes=["json-ld"])["json-ld"]
    url = ld["url"]
    assert url.endswith(f"/datasets/{acc}/")
    assert ld["@id"] == url
    assert ld["name"] == released.title
    assert ld["description"].startswith("Live-cell confocal time-lapse")
    assert acc in ld["identifier"]
    assert ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert ld["datePublished"] == released.publication.released_at.date().isoformat()
    (creator,) = ld["creator"]
    assert creator["@id"] == "https://orcid.org/0000-0002-1825-0097"
    assert creator["affiliation"]["@id"] == "https://ror.org/05gq02987"
    assert ld["publisher"] == {
        "@type": "Organization",
        "name": released.facility.name,
        "@id": "https://ror.org/05gq02987",
        "identifier": "https://ror.org/05gq02987",
    }
    assert ld["keywords"] == ["mitochondria", "live imaging"]
    assert [t["@id"] for t in ld["about"]] == [f"{OBO}NCBITaxon_9606"]
    assert [m["@id"] for m in ld["measurementMethod"]] == [f"{OBO}FBbi_00000253"]
    kinds = sorted(d["name"].rsplit("(", 1)[1] for d in ld["distribution"])
    assert kinds == ["OME-Zarr)", "OME-Zarr)", "original)", "original)"]
    for download in ld["distribution"]:
        assert download["@type"] == "DataDownload"
        assert download["contentUrl"].startswith("http")
        assert download["encodingFormat"]
        assert download["contentSize"].endswith(" B")
        path = "/" + download["contentUrl"].split("://", 1)[1].split("/", 1)[1]
        if path.endswith(".ome.zarr/"):  # a tree: its root metadata (zarr v3, or v2) is there
            found = Client().get(path + "zarr.json")
            found = found if found.status_code == 200 else Client().get(path + ".zattrs")
        else:
            found = Client().get(path)
        assert found.status_code == 200  # each download is really there
    assert len(ld["thumbnailUrl"]) == 2
    sizes = {s["unitText"]: s["value"] for s in ld["size"]}
    assert sizes["files"] == 2
    assert sizes["bytes"] == released.publication.total_bytes

    # Expanded as RDF, the same facts are schema.org statements about the landing URL.
    graph = as_graph(ld)
    subject = rdflib.URIRef(url)
    assert (subject, rdflib.RDF.type, rdflib.URIRef(SDO + "Dataset")) in graph
    assert (subject, rdflib.URIRef(SDO + "about"), rdflib.URIRef(f"{OBO}NCBITaxon_9606")) in graph
    method = rdflib.URIRef(f"{OBO}FBbi_00000253")
    assert (subject, rdflib.URIRef(SDO + "measurementMethod"), method) in graph


@pytest.mark.django_db
def test_json_ld_cannot_break_out_of_its_script_element(released: Submission) -> None:
    Submission.objects.filter(pk=released.pk).update(title="</script><script>alert(1)</script>")
    html = Client().get(f"/datasets/{released.accession}/").content.decode()
    assert "<script>alert(1)" not in html
    (ld,) = extruct.extract(html, syntaxes=["json-ld"])["json-ld"]
    assert ld["name"] == "</script><script>alert(1)</script>"


@pytest.mark.django_db
def test_the_ro_crate_follows_the_gide_profile(released: Submission, tmp_path: Path) -> None:
    acc = released.accession
    response = Client().get(f"/datasets/{acc}/ro-crate-metadata.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    crate_json = response.json()

    # ro-crate-py reads it as a detached crate and finds the root by the descriptor's about.
    (tmp_path / "ro-crate-metadata.json").write_text(json.dumps(crate_json))
    crate = ROCrate(tmp_path)
    assert crate.root_dataset.id.endswith(f"/datasets/{acc}/")
    assert crate.root_dataset["name"] == released.title
    conforms_to = crate.metadata["conformsTo"]
    assert getattr(conforms_to, "id", conforms_to) == "https://w3id.org/ro/crate/1.2"
    authors = crate.root_dataset["author"]
    authors = authors if isinstance(authors, list) else [authors]
    assert [a.id for a in authors] == ["https://orcid.org/0000-0002-1825-0097"]

    # The GIDE profile's MUST and SHOULD rules, as SHACL shapes, checked by pyshacl.
    graph = as_graph(crate_json)
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    conforms, _, report = validate(graph, shacl_graph=shapes, advanced=True)
    assert conforms, report


@pytest.mark.django_db
def test_the_shapes_catch_what_the_profile_forbids(released: Submission) -> None:
    """The shapes are not a rubber stamp: a crate without a taxon, with two publishers or a
    size without its unit fails them."""
    crate_json = Client().get(f"/datasets/{released.accession}/ro-crate-metadata.json").json()
    root = next(e for e in crate_json["@graph"] if e["@type"] == "Dataset")
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    broken = json.loads(json.dumps(crate_json))
    broken_root = next(e for e in broken["@graph"] if e["@type"] == "Dataset")
    broken_root["about"] = []
    broken_root["publisher"] = [root["publisher"], {"@id": "#another"}]
    broken["@graph"].append({"@id": "#another", "@type": "Organization", "name": "Other"})
    for entity in broken["@graph"]:
        if entity["@id"] == "#file-count":
            del entity["unitCode"]
    conforms, _, report = validate(as_graph(broken), shacl_graph=shapes, advanced=True)
    assert not conforms
    assert "about" in report
    assert "publisher" in report
    assert "unitCode" in report


@pytest.mark.django_db
def test_an_embargoed_dataset_has_no_crate_and_no_json_ld(
    embargoed: Submission, researcher
) -> None:
    assert (
        Client().get(f"/datasets/{embargoed.accession}/ro-crate-metadata.json").status_code == 404
    )
    own = Client()
    own.force_login(researcher)  # even those involved: machines never see it before its date
    assert (
        "application/ld+json" not in own.get(f"/datasets/{embargoed.accession}/").content.decode()
    )
