"""Two checks of a REMBI description.

`clean` runs on every save: it shapes the document (every field present, strings stripped,
identifiers in canonical form) and collects every malformed value. Missing values are fine in
a draft, and an item added but not filled in yet stays where it is (an empty biosample is a
missing-value problem at submit time, never silently dropped). What happens to a malformed
value is the caller's choice: the API refuses the save whole, the editor keeps the value as
typed beside the saved description (`drafts.split`).

`problems` runs before submitting: everything `clean` finds plus every required value that
is missing, as dotted paths ("study.authors.2.orcid") mapped to messages.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator

from submissions.core import text as clean_text

from . import vocab
from .spec import FLAG_KIND, REMBI, Field, Group, item_children, singular

Errors = dict[str, list[str]]
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_YEAR_RE = re.compile(r"^\d{4}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_email = EmailValidator()
_url = URLValidator(schemes=["http", "https"])
MAX_DOCUMENT_BYTES = 2_000_000


def _join(prefix: str, name: str | int) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def _add(errors: Errors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _text(value: Any, path: str, errors: Errors, *, multi_line: bool = False) -> str | None:
    """The value as clean text (core.text): long texts keep their lines; every other field is
    one line, so a title or a name never carries a line break, NUL or bidi control."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        _add(errors, path, "Must be text.")
        return None
    return clean_text.multi_line(value) if multi_line else clean_text.single_line(value)


def _check_length(text: str, node: Field, path: str, errors: Errors) -> bool:
    if len(text) > node.max_length:
        _add(
            errors,
            path,
            f"At most {node.max_length:,} characters, please (this has {len(text):,}).",
        )
        return False
    return True


def _scalar(text: str, node: Field, path: str, errors: Errors) -> str:
    """The canonical form of a non-empty scalar, recording an error if it is malformed."""
    kind = node.kind
    if kind == "email":
        try:
            _email(text)
        except DjangoValidationError:
            _add(errors, path, "Enter an e-mail address like name@example.org.")
    elif kind == "url":
        try:
            _url(text)
        except DjangoValidationError:
            _add(errors, path, "Enter a web address starting with https:// or http://.")
    elif kind == "date":
        try:
            if not _DATE_RE.match(text):
                raise ValueError
            day = datetime.date.fromisoformat(text)
            if not 1900 <= day.year <= 2100:
                _add(errors, path, "Enter a date between 1900 and 2100.")
        except ValueError:
            _add(errors, path, "Enter a real date as YYYY-MM-DD, e.g. 2026-03-31.")
    elif kind == "year":
        this_year = datetime.date.today().year
        if not _YEAR_RE.match(text) or not 1800 <= int(text) <= this_year + 1:
            _add(errors, path, f"Enter a four-digit year between 1800 and {this_year + 1}.")
    elif kind == "orcid":
        orcid, why = vocab.normalise_orcid(text)
        if orcid is None:
            _add(errors, path, why)
        return orcid or text
    elif kind == "doi":
        doi = vocab.normalise_doi(text)
        if doi is None:
            _add(errors, path, "A DOI starts with 10. and has a slash, e.g. 10.1038/nmeth.2019.")
        return doi or text
    elif kind == "pmid":
        if not re.fullmatch(r"[1-9]\d{0,8}", text):
            _add(errors, path, "A PubMed id is a number of up to nine digits, e.g. 33875839.")
    elif kind == "ror":
        ror = vocab.normalise_ror(text)
        if ror is None:
            _add(errors, path, "A ROR id looks like https://ror.org/02catss52 (nine characters).")
        return ror or text
    elif kind == "licence":
        licence = vocab.normalise_licence(text)
        if licence is None:
            names = ", ".join(vocab.LICENCES.values())
            _add(errors, path, f"Choose one of the supported licences: {names}.")
        return licence or text
    elif kind == "taxon":
        taxon = vocab.normalise_taxon(text)
        if taxon is None:
            _add(errors, path, "An NCBI Taxonomy id is a whole number, e.g. 9606 for human.")
        return taxon or text
    elif kind == "fbbi":
        fbbi = vocab.normalise_fbbi_id(text)
        term = vocab.fbbi_terms().get(fbbi or "")
        if term is None:
            _add(errors, path, "Not an FBbi term id; choose the imaging method from the list.")
        elif not term.is_imaging_method:
            _add(
                errors, path, f"{term.id} ({term.name}) is a {term.branch}, not an imaging method."
            )
        return fbbi or text
    elif kind == "key" and not _KEY_RE.match(text):
        _add(errors, path, "A key is up to 40 letters, digits, '.', '_' or '-'.")
    return text


_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0", ""})


def _clean_flag(value: Any, path: str, errors: Errors) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _YES:
        return True
    if text not in _NO:
        _add(errors, path, "Must be yes or no.")
    return False


def _clean_field(value: Any, node: Field, path: str, errors: Errors) -> Any:
    if node.kind == FLAG_KIND:
        return _clean_flag(value, path, errors)
    if node.is_list:
        if value is None or value == "":
            return []
        if isinstance(value, str):  # forgiving: one per line (keywords: commas too)
            value = re.split(r"[\n,]" if node.kind == "keywords" else r"\n", value)
        if not isinstance(value, list):
            _add(errors, path, "Must be a list of text values.")
            return []
        if len(value) > node.max_items:
            _add(errors, path, f"At most {node.max_items} entries, please (this has {len(value)}).")
            return []
        items: list[str] = []
        for index, item in enumerate(value):
            line = _text(item, _join(path, index), errors)
            if line and _check_length(line, node, _join(path, index), errors):
                if node.kind == "choices" and line not in dict(node.choices):
                    _add(errors, path, f"'{line[:40]}' is not one of the listed choices.")
                elif line not in items:
                    items.append(line)
        return items
    cleaned = _text(value, path, errors, multi_line=node.kind == "textarea")
    if not cleaned:
        return ""
    if not _check_length(cleaned, node, path, errors):
        return cleaned  # refused with the error; kept so the editor can show what was typed
    return _scalar(cleaned, node, path, errors)


def _is_blank(value: Any) -> bool:
    """Nothing typed and nothing added: an optional section in this state is left out."""
    if isinstance(value, dict):
        return all(_is_blank(v) for k, v in value.items() if k != "key")
    if isinstance(value, list):
        return not value  # an item someone added counts, even before it is filled in
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def _clean_object(
    value: Any,
    children: tuple[Field | Group, ...],
    path: str,
    errors: Errors,
) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        _add(errors, path or "metadata", "Must be an object.")
        value = {}
    known = {node.name for node in children}
    for unknown in sorted(set(value) - known):
        _add(errors, _join(path, str(unknown)[:60]), "Unknown field.")
    return {
        node.name: _clean_node(value.get(node.name), node, _join(path, node.name), errors)
        for node in children
    }


def _clean_node(value: Any, node: Field | Group, path: str, errors: Errors) -> Any:
    if isinstance(node, Field):
        return _clean_field(value, node, path, errors)
    if not node.many:
        cleaned = _clean_object(value, node.children, path, errors)
        _cross_check(node, cleaned, path, errors)
        return cleaned
    if value is None:
        return []
    if not isinstance(value, list):
        _add(errors, path, "Must be a list.")
        return []
    if len(value) > node.max_items:
        limit = node.limit_help or f"At most {node.max_items} {node.label.lower()}, please."
        _add(errors, path, f"{limit} (This has {len(value):,}.)")
        return []
    # Every item keeps its place, blank or not, so paths (and the errors at them) stay the
    # paths the editor drew.
    cleaned_items = [
        _clean_object(item, item_children(node), _join(path, index), errors)
        for index, item in enumerate(value)
    ]
    if node.keyed:
        _assign_keys(node, cleaned_items, path, errors)
    return cleaned_items


def _assign_keys(node: Group, items: list[dict[str, Any]], path: str, errors: Errors) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["key"] in seen:
            _add(errors, _join(_join(path, index), "key"), "This key is used twice.")
        seen.add(item["key"])
    counter = 0
    for item in items:
        while not item["key"]:
            counter += 1
            candidate = f"{singular(node)}-{counter}"
            if candidate not in seen:
                item["key"] = candidate
                seen.add(candidate)


def _cross_check(node: Group, value: dict[str, Any], path: str, errors: Errors) -> None:
    """Ontology pickers: fill the id from a known name and the name from a known id."""
    if node.name == "imaging_method":
        name, term_id = value["name"], value["id"]
        named = vocab.imaging_method_named(name) if name else None
        by_id = vocab.fbbi_terms().get(term_id) if term_id else None
        if named and not term_id:
            value["id"] = named.id
        elif by_id and not name:
            value["name"] = by_id.name
        elif name and not term_id:
            _add(errors, _join(path, "name"), "Not an FBbi imaging method; pick one from the list.")
        elif (
            by_id and named is not by_id and name.lower() not in {s.lower() for s in by_id.synonyms}
        ):
            _add(
                errors,
                _join(path, "name"),
                f"{by_id.id} is '{by_id.name}'; pick the method from the list.",
            )
        elif by_id:
            value["name"] = by_id.name
    elif node.name == "organism":
        name, taxon = value["scientific_name"], value["taxon_id"]
        known_name = vocab.organism_by_name().get(name.lower()) if name else None
        known_taxon = vocab.organism_by_taxon().get(taxon) if taxon else None
        if known_name and not taxon:
            value["taxon_id"] = known_name.taxon_id
        if known_taxon and not name:
            value["scientific_name"] = known_taxon.scientific_name
        if known_taxon and name and known_name is not known_taxon:
            _add(
                errors,
                _join(path, "taxon_id"),
                f"NCBI Taxonomy {taxon} is {known_taxon.scientific_name}, not {name}.",
            )
        known = known_taxon or known_name
        if known and not value["common_name"]:
            value["common_name"] = known.common_name
        if known and value["scientific_name"].lower() == known.scientific_name.lower():
            value["scientific_name"] = known.scientific_name


def clean(metadata: Any, *, keep_blank: bool = False) -> tuple[dict[str, Any], Errors]:
    """The shaped document and every malformed value in it (empty dict when all is well).

    `keep_blank` keeps an optional section that holds nothing (as an object of empty values)
    instead of leaving it out, for drawing the editor.
    """
    errors: Errors = {}
    cleaned = _clean_object(metadata, REMBI.children, "", errors)
    for node in REMBI.children:
        if (
            isinstance(node, Group)
            and node.optional
            and not keep_blank
            and _is_blank(cleaned[node.name])
        ):
            cleaned[node.name] = None
    return cleaned, errors


# --- completeness -----------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value in ("", None, [])


def _require(
    value: Any, node: Field | Group, path: str, document: dict[str, Any], errors: Errors
) -> None:
    if isinstance(node, Field):
        if node.required and _missing(value):
            _add(errors, path, "This is required.")
        elif node.min_length and isinstance(value, str) and len(value) < node.min_length:
            _add(errors, path, f"Write at least {node.min_length} characters (now {len(value)}).")
        elif node.kind == "ref" and value:
            keys = {item.get("key") for item in document.get(node.ref) or []}
            if value not in keys:
                _add(errors, path, f"Choose one of the {node.ref} described above.")
        return
    if node.many:
        items = value or []
        if len(items) < node.min_items:
            _add(errors, path, f"Add at least one {node.item_label.lower()}.")
        for index, item in enumerate(items):
            for child in item_children(node):
                _require(
                    item.get(child.name),
                    child,
                    _join(_join(path, index), child.name),
                    document,
                    errors,
                )
        return
    if node.optional and value is None:
        return
    for child in node.children:
        _require((value or {}).get(child.name), child, _join(path, child.name), document, errors)


def problems(metadata: Any, *, today: datetime.date | None = None) -> Errors:
    """Every missing or invalid field that stops a REMBI description from being submitted."""
    document, errors = clean(metadata)
    _require(document, REMBI, "", document, errors)
    study = document["study"]
    authors = study["authors"]
    if authors and not any(author["email"] and author["contact"] for author in authors):
        _add(
            errors,
            "study.authors.0.contact",
            "Mark at least one author with an e-mail address as the contact for this dataset.",
        )
    for index, publication in enumerate(study["publications"]):
        if not publication["doi"] and not publication["pubmed_id"]:
            _add(errors, f"study.publications.{index}.doi", "Give a DOI or a PubMed id.")
    release = study["release_date"]
    if release and "study.release_date" not in errors:
        day = datetime.date.fromisoformat(release)
        today = today or datetime.date.today()
        if day < today:
            _add(
                errors, "study.release_date", "The release date has passed; choose today or later."
            )
        elif day > today.replace(year=today.year + 5):
            _add(errors, "study.release_date", "An embargo can last at most five years.")
    return errors
