"""OAI-PMH 2.0 (https://www.openarchives.org/OAI/openarchivesprotocol.html) over released
datasets: the six verbs, `oai_dc` and `oai_datacite`, one set per facility, resumption tokens
and persistent deleted records (a withdrawn dataset stays, marked deleted).

Items are datasets that were ever released (`selectors.harvestable_publications`); an
embargoed one is not an item until its release. A record's datestamp is
`Publication.record_updated_at`, which moves when the dataset is released, withdrawn, or its
DOI appears, so selective harvesting (`from`/`until`) picks each change up. Resumption tokens
are signed, stateless cursors (last datestamp and id) that expire after OAI_TOKEN_SECONDS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone

from submissions.accounts.models import Facility
from submissions.publication import selectors
from submissions.publication.formats import datacite
from submissions.publication.formats.record import DatasetRecord, dataset_record
from submissions.publication.models import DoiState, Publication

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
FORMATS = {
    "oai_dc": (OAI_DC, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
    "oai_datacite": (OAI_DATACITE, "http://schema.datacite.org/oai/oai-1.1/oai.xsd"),
}
VERBS: dict[str, tuple[set[str], set[str]]] = {  # verb: (required, optional) arguments
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
EXCLUSIVE = "resumptionToken"
SET_PREFIX = "facility:"
TOKEN_SALT = "aperture.oai.resumption"  # noqa: S105 (a signing namespace, not a secret)
for prefix, uri in (("", OAI), ("xsi", XSI), ("oai_dc", OAI_DC), ("dc", DC)):
    ET.register_namespace(prefix, uri)


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def repository_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def oai_identifier(accession: str) -> str:
    return f"oai:{repository_host()}:{accession}"


def _accession(identifier: str) -> str:
    head = f"oai:{repository_host()}:"
    if not identifier.startswith(head):
        raise OaiError("idDoesNotExist", "No item has this identifier.")
    return identifier[len(head) :]


def _stamp(moment: dt.datetime | None) -> str:
    moment = moment or timezone.now()
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(value: str, *, end: bool) -> tuple[dt.datetime, int]:
    """A from/until argument as a UTC datetime, with its granularity (10 or 20 characters)."""
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, dt.UTC)
            return moment, 10
        if len(value) == 20 and value.endswith("Z"):
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return (moment.replace(microsecond=999_999) if end else moment), 20
    except ValueError:
        pass
    raise OaiError("badArgument", f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ).")


# --- The request ----------------------------------------------------------------------------


def handle(params: Mapping[str, list[str]], *, base_url: str) -> bytes:
    """The OAI-PMH response (XML bytes) to a request's arguments (each name -> its values)."""
    root = ET.Element(f"{{{OAI}}}OAI-PMH")
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    ET.SubElement(root, f"{{{OAI}}}responseDate").text = _stamp(None)
    request = ET.SubElement(root, f"{{{OAI}}}request")
    request.text = base_url
    verb = (params.get("verb") or [""])[0]
    try:
        arguments = _arguments(params)
        for name, value in arguments.items():
            request.set(name, value)
        arguments["_base"] = base_url
        body = ET.SubElement(root, f"{{{OAI}}}{verb}")
        HANDLERS[verb](body, arguments)
    except OaiError as error:
        for child in list(root)[2:]:
            root.remove(child)
        if error.code in {"badVerb", "badArgument"}:
            request.attrib.clear()  # echo no arguments when they are wrong (protocol 3.2)
        ET.SubElement(root, f"{{{OAI}}}error", code=error.code).text = error.message
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _arguments(params: Mapping[str, list[str]]) -> dict[str, str]:
    verb_values = params.get("verb") or []
    if len(verb_values) != 1 or verb_values[0] not in VERBS:
        raise OaiError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
    verb = verb_values[0]
    required, optional = VERBS[verb]
    arguments: dict[str, str] = {"verb": verb}
    for name, values in params.items():
        if name == "verb":
            continue
        if name not in required | optional:
            raise OaiError("badArgument", f"{verb} takes no argument {name!r}.")
        if len(values) != 1:
            raise OaiError("badArgument", f"The argument {name!r} is repeated.")
        arguments[name] = values[0]
    if EXCLUSIVE in arguments:
        if set(arguments) - {"verb", EXCLUSIVE}:
            raise OaiError("badArgument", "A resumptionToken comes alone, with the verb.")
        return arguments
    missing = required - set(arguments)
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(sorted(missing))}.")
    return arguments


# --- Verbs ----------------------------------------------------------------------------------


def _identify(body: ET.Element, arguments: dict[str, str]) -> None:
    first = Publication.objects.filter(released_at__isnull=False).order_by("released_at").first()
    for name, value in (
        ("repositoryName", "Aperture"),
        ("baseURL", arguments.get("_base", settings.SITE_URL.rstrip("/") + "/oai")),
        ("protocolVersion", "2.0"),
        (
            "adminEmail",
            settings.OAI_ADMIN_EMAIL or settings.DEFAULT_FROM_EMAIL.split("<")[-1].strip(">"),
        ),
        (
            "earliestDatestamp",
            _stamp(first.released_at if first else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
        ),
        ("deletedRecord", "persistent"),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
    ):
        ET.SubElement(body, f"{{{OAI}}}{name}").text = value


def _formats(body: ET.Element, arguments: dict[str, str]) -> None:
    formats = list(FORMATS)
    if "identifier" in arguments:
        publication = _item(arguments["identifier"])
        if not _has_doi(publication):
            formats = ["oai_dc"]
    for prefix in formats:
        namespace, schema = FORMATS[prefix]
        element = ET.SubElement(body, f"{{{OAI}}}metadataFormat")
        ET.SubElement(element, f"{{{OAI}}}metadataPrefix").text = prefix
        ET.SubElement(element, f"{{{OAI}}}schema").text = schema
        ET.SubElement(element, f"{{{OAI}}}metadataNamespace").text = namespace


def _sets(body: ET.Element, arguments: dict[str, str]) -> None:
    if "resumptionToken" in arguments:
        raise OaiError("badResumptionToken", "ListSets is never split; this token is not ours.")
    for facility in Facility.objects.order_by("slug"):
        element = ET.SubElement(body, f"{{{OAI}}}set")
        ET.SubElement(element, f"{{{OAI}}}setSpec").text = f"{SET_PREFIX}{facility.slug}"
        ET.SubElement(element, f"{{{OAI}}}setName").text = facility.name


def _get_record(body: ET.Element, arguments: dict[str, str]) -> None:
    prefix = _prefix(arguments["metadataPrefix"])
    publication = _item(arguments["identifier"])
    if prefix == "oai_datacite" and not _has_doi(publication):
        raise OaiError("cannotDisseminateFormat", "This item has no DOI, so no DataCite record.")
    _record(body, publication, prefix, with_metadata=True)


def _list(body: ET.Element, arguments: dict[str, str], *, with_metadata: bool) -> None:
    if "resumptionToken" in arguments:
        arguments = _read_token(arguments["resumptionToken"])
    prefix = _prefix(arguments["metadataPrefix"])
    found = selectors.harvestable_publications().order_by("record_updated_at", "pk")
    found = _filtered(found, arguments, prefix)
    total = found.count()
    after = arguments.get("after")
    page_query = found
    if after:
        stamp, pk = after.split("|")
        moment = dt.datetime.fromisoformat(stamp)
        page_query = found.filter(record_updated_at__gt=moment) | found.filter(
            record_updated_at=moment, pk__gt=int(pk)
        )
    page = list(page_query.order_by("record_updated_at", "pk")[: settings.OAI_PAGE_SIZE + 1])
    if not page:
        raise OaiError("noRecordsMatch", "No record matches these arguments.")
    more = len(page) > settings.OAI_PAGE_SIZE
    page = page[: settings.OAI_PAGE_SIZE]
    for publication in page:
        if with_metadata:
            _record(body, publication, prefix, with_metadata=True)
        else:
            _header(body, publication)
    cursor = int(arguments.get("cursor", "0"))
    if more or after:
        token = ET.SubElement(body, f"{{{OAI}}}resumptionToken")
        token.set("completeListSize", str(total))
        token.set("cursor", str(cursor))
        if more:
            last = page[-1]
            state = {
                key: value
                for key, value in arguments.items()
                if key in {"verb", "metadataPrefix", "from", "until", "set"}
            }
            state |= {
                "after": f"{(last.record_updated_at or last.released_at).isoformat()}|{last.pk}",
                "cursor": str(cursor + len(page)),
            }
            expires = timezone.now() + dt.timedelta(seconds=settings.OAI_TOKEN_SECONDS)
            token.set("expirationDate", _stamp(expires))
            token.text = signing.dumps(state, salt=TOKEN_SALT, compress=True)


def _read_token(token: str) -> dict[str, str]:
    try:
        state: dict[str, str] = signing.loads(
            token, salt=TOKEN_SALT, max_age=settings.OAI_TOKEN_SECONDS
        )
    except signing.BadSignature as error:  # includes SignatureExpired
        raise OaiError(
            "badResumptionToken", "This resumption token is invalid or expired."
        ) from error
    return state


def _filtered(found: QuerySet[Publication], arguments: dict[str, str], prefix: str) -> Any:
    granularities = set()
    if "from" in arguments:
        moment, granularity = _parse_date(arguments["from"], end=False)
        granularities.add(granularity)
        found = found.filter(record_updated_at__gte=moment)
    if "until" in arguments:
        moment, granularity = _parse_date(arguments["until"], end=True)
        granularities.add(granularity)
        found = found.filter(record_updated_at__lte=moment)
    if len(granularities) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity.")
    if (
        "from" in arguments
        and "until" in arguments
        and (
            _parse_date(arguments["from"], end=False)[0]
            > _parse_date(arguments["until"], end=True)[0]
        )
    ):
        raise OaiError("badArgument", "from is later than until.")
    if "set" in arguments:
        spec = arguments["set"]
        if (
            not spec.startswith(SET_PREFIX)
            or not Facility.objects.filter(slug=spec[len(SET_PREFIX) :]).exists()
        ):
            raise OaiError("noRecordsMatch", "No set has this setSpec.")
        found = found.filter(submission__facility__slug=spec[len(SET_PREFIX) :])
    if prefix == "oai_datacite":
        found = found.filter(
            submission__doi_registration__state__in=[DoiState.FINDABLE, DoiState.REGISTERED]
        )
    return found


def _prefix(prefix: str) -> str:
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"{prefix!r} is not a metadata format here.")
    return prefix


def _item(identifier: str) -> Publication:
    publication = (
        selectors.harvestable_publications().filter(accession=_accession(identifier)).first()
    )
    if publication is None:
        raise OaiError("idDoesNotExist", "No item has this identifier.")
    return publication


def _has_doi(publication: Publication) -> bool:
    registration = getattr(publication.submission, "doi_registration", None)
    return registration is not None and registration.state in (
        DoiState.FINDABLE,
        DoiState.REGISTERED,
    )


# --- Records --------------------------------------------------------------------------------


def _header(parent: ET.Element, publication: Publication) -> None:
    header = ET.SubElement(parent, f"{{{OAI}}}header")
    if publication.tombstoned_at is not None:
        header.set("status", "deleted")
    ET.SubElement(header, f"{{{OAI}}}identifier").text = oai_identifier(publication.accession)
    ET.SubElement(header, f"{{{OAI}}}datestamp").text = _stamp(
        publication.record_updated_at or publication.released_at
    )
    ET.SubElement(
        header, f"{{{OAI}}}setSpec"
    ).text = f"{SET_PREFIX}{publication.submission.facility.slug}"


def _record(
    parent: ET.Element, publication: Publication, prefix: str, *, with_metadata: bool
) -> None:
    record = ET.SubElement(parent, f"{{{OAI}}}record")
    _header(record, publication)
    if publication.tombstoned_at is not None or not with_metadata:
        return  # a deleted record has a header only
    metadata = ET.SubElement(record, f"{{{OAI}}}metadata")
    dataset = dataset_record(submission=publication.submission)
    if prefix == "oai_dc":
        metadata.append(dublin_core(dataset))
    else:
        metadata.append(_oai_datacite(dataset, publication))


def dublin_core(record: DatasetRecord) -> ET.Element:
    root = ET.Element(f"{{{OAI_DC}}}dc")
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} {FORMATS['oai_dc'][1]}")

    def add(name: str, value: str) -> None:
        if value:
            ET.SubElement(root, f"{{{DC}}}{name}").text = value

    add("title", record.title)
    for author in record.authors:
        add("creator", author.name)
    for keyword in record.keywords:
        add("subject", keyword)
    for taxon in record.organisms:
        add("subject", taxon.scientific_name)
    for method in record.methods:
        add("subject", method.name)
    add("description", record.description)
    add("publisher", record.facility_name)
    add("date", record.date_published)
    add("type", "Dataset")
    add("format", "OME-Zarr")
    add("identifier", record.url)
    add("identifier", record.doi_url)
    add("rights", record.licence_url)
    return root


def _oai_datacite(record: DatasetRecord, publication: Publication) -> ET.Element:
    registration = publication.submission.doi_registration
    year = record.year or timezone.localdate().year
    # Our own XML, just written by the datacite library from our attributes: not untrusted.
    resource = ET.fromstring(  # noqa: S314
        datacite.xml(datacite.attributes(record, doi=registration.doi, release_year=year))
    )
    root = ET.Element(f"{{{OAI_DATACITE}}}oai_datacite")
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DATACITE} {FORMATS['oai_datacite'][1]}")
    ET.SubElement(root, f"{{{OAI_DATACITE}}}schemaVersion").text = "4.5"
    ET.SubElement(root, f"{{{OAI_DATACITE}}}datacentreSymbol").text = (
        settings.DATACITE_REPOSITORY_ID or "APERTURE"
    )
    ET.SubElement(root, f"{{{OAI_DATACITE}}}payload").append(resource)
    return root


HANDLERS = {
    "Identify": _identify,
    "ListMetadataFormats": _formats,
    "ListSets": _sets,
    "GetRecord": _get_record,
    "ListIdentifiers": lambda body, args: _list(body, args, with_metadata=False),
    "ListRecords": lambda body, args: _list(body, args, with_metadata=True),
}
