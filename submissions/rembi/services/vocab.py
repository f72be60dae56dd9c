"""Controlled vocabularies shipped with Aperture (no network): licences, FBbi, organisms, and
the syntax of the identifiers REMBI uses (ORCID, DOI, PubMed, ROR, NCBI Taxonomy)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

LICENCES: dict[str, str] = {
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0 1.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0",
    "https://creativecommons.org/licenses/by-sa/4.0/": "CC BY-SA 4.0",
    "https://creativecommons.org/licenses/by-nd/4.0/": "CC BY-ND 4.0",
    "https://creativecommons.org/licenses/by-nc/4.0/": "CC BY-NC 4.0",
    "https://creativecommons.org/licenses/by-nc-sa/4.0/": "CC BY-NC-SA 4.0",
    "https://creativecommons.org/licenses/by-nc-nd/4.0/": "CC BY-NC-ND 4.0",
}
# FBbi branches whose terms say how an image was made.
IMAGING_BRANCHES = frozenset({"imaging method", "resolution-enhancing method"})
AUTHOR_ROLES = (
    "corresponding author",
    "principal investigator",
    "first author",
    "data acquisition",
    "data analysis",
    "data curation",
    "submitter",
    "contributor",
)


def normalise_licence(value: str) -> str | None:
    """The canonical URL for a licence given as URL (http/https, with or without the final
    slash) or as its short name ("CC BY 4.0"); None when it is not one we accept."""
    text = value.strip()
    for url, name in LICENCES.items():
        if text.lower() == name.lower():
            return url
    candidate = re.sub(r"^http://", "https://", text).rstrip("/") + "/"
    candidate = candidate.replace("//www.creativecommons.org", "//creativecommons.org")
    return candidate if candidate in LICENCES else None


def orcid_checksum_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2 over the first 15 digits gives the 16th (0-9 or X)."""
    total = 0
    for char in digits[:15]:
        total = (total + int(char)) * 2
    result = (12 - total % 11) % 11
    expected = "X" if result == 10 else str(result)
    return digits[15].upper() == expected


ORCID_RE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])$")


def normalise_orcid(value: str) -> tuple[str | None, str]:
    """(canonical iD, "") or (None, why not)."""
    text = re.sub(r"^(https?://)?(www\.)?orcid\.org/", "", value.strip(), flags=re.IGNORECASE)
    match = ORCID_RE.match(text)
    if not match:
        return None, "An ORCID iD has 16 digits in four groups, e.g. 0000-0002-1825-0097."
    digits = "".join(match.groups()).upper()
    if not orcid_checksum_ok(digits):
        return (
            None,
            "This is not a valid ORCID iD: its check digit does not match. Check for a typo.",
        )
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4)), ""


DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")


def normalise_doi(value: str) -> str | None:
    text = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", value.strip(), flags=re.IGNORECASE)
    return text if DOI_RE.match(text) else None


ROR_RE = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")


def normalise_ror(value: str) -> str | None:
    text = re.sub(r"^(https?://)?(www\.)?ror\.org/", "", value.strip(), flags=re.IGNORECASE)
    text = text.lower()
    return f"https://ror.org/{text}" if ROR_RE.match(text) else None


TAXON_RE = re.compile(r"^(?:ncbitaxon[:_]|txid|taxon:)?\s*([1-9]\d{0,7})$", re.IGNORECASE)


def normalise_taxon(value: str) -> str | None:
    match = TAXON_RE.match(value.strip())
    return match.group(1) if match else None


FBBI_RE = re.compile(r"^(?:https?://purl\.obolibrary\.org/obo/)?fbbi[:_](\d{8})$", re.IGNORECASE)


def normalise_fbbi_id(value: str) -> str | None:
    match = FBBI_RE.match(value.strip())
    return f"FBbi:{match.group(1)}" if match else None


@dataclass(frozen=True)
class Term:
    id: str
    name: str
    synonyms: tuple[str, ...]
    branch: str

    @property
    def is_imaging_method(self) -> bool:
        return self.branch in IMAGING_BRANCHES


@cache
def fbbi_document() -> dict[str, object]:
    with (DATA_DIR / "fbbi.json").open(encoding="utf-8") as handle:
        document: dict[str, object] = json.load(handle)
    return document


@cache
def fbbi_terms() -> dict[str, Term]:
    terms = fbbi_document()["terms"]
    assert isinstance(terms, list)
    return {t["id"]: Term(t["id"], t["name"], tuple(t["synonyms"]), t["branch"]) for t in terms}


def imaging_methods() -> list[Term]:
    """Every FBbi term that names an imaging method, alphabetically."""
    return sorted(
        (t for t in fbbi_terms().values() if t.is_imaging_method), key=lambda t: t.name.lower()
    )


@cache
def _imaging_by_name() -> dict[str, Term]:
    by_name: dict[str, Term] = {}
    for term in imaging_methods():
        for label in (*term.synonyms, term.name):  # names win over synonyms
            by_name[label.lower()] = term
    return by_name


def imaging_method_named(name: str) -> Term | None:
    return _imaging_by_name().get(name.strip().lower())


@dataclass(frozen=True)
class Organism:
    scientific_name: str
    common_name: str
    taxon_id: str


@cache
def organisms() -> tuple[Organism, ...]:
    with (DATA_DIR / "organisms.json").open(encoding="utf-8") as handle:
        items = json.load(handle)["organisms"]
    return tuple(Organism(**item) for item in items)


@cache
def organism_by_taxon() -> dict[str, Organism]:
    return {o.taxon_id: o for o in organisms()}


@cache
def organism_by_name() -> dict[str, Organism]:
    return {o.scientific_name.lower(): o for o in organisms()}


def search(items: list[tuple[str, str, str]], query: str, limit: int = 20) -> list[int]:
    """Indices of (id, name, extra) rows matching every word of `query`, best first."""
    words = query.lower().split()
    scored: list[tuple[int, int]] = []
    for index, (ident, name, extra) in enumerate(items):
        haystack = f"{ident} {name} {extra}".lower()
        if all(word in haystack for word in words):
            starts = name.lower().startswith(query.lower().strip())
            scored.append((0 if starts else 1, index))
    return [index for _, index in sorted(scored)[:limit]]
