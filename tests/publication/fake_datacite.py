"""A local stand-in for DataCite's REST API, because DataCite cannot be reached from here.

It follows DataCite's documented behaviour, not ours:
- https://support.datacite.org/docs/api-create-dois: JSON:API documents
  (`{"data": {"type": "dois", "attributes": {...}}}`, Content-Type application/vnd.api+json),
  HTTP Basic with the repository id and password; a record created without `event` is a
  Draft; `"event": "publish"` makes it Findable and then needs the URL and every mandatory
  property (DOI, creators, titles, publisher, publicationYear, resourceTypeGeneral).
- https://support.datacite.org/docs/updating-metadata-with-the-rest-api: `PUT /dois/{id}`
  updates a record or creates it if the DOI is not taken; events `publish` (draft or
  registered -> findable), `register` (draft -> registered), `hide` (findable -> registered).
- https://support.datacite.org/docs/how-do-i-make-a-findable-doi-with-the-rest-api: only
  drafts can be deleted.
- Errors are JSON:API `{"errors": [{"source", "title"}]}` with 401 (credentials), 403 (a
  prefix not the repository's), 404, 422 (invalid metadata or state change).
Metadata of a findable or registered record is checked against DataCite's own metadata
schema 4.5 as published in JSON by inveniosoftware/datacite (`datacite.schema45`), on top of
the mandatory-property check above. `outage` makes it answer 503, as an overloaded service.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from datacite import schema45

MANDATORY = ("creators", "titles", "publisher", "publicationYear", "types")


class FakeDataCite:
    def __init__(self, *, repository_id: str, password: str, prefix: str) -> None:
        self.repository_id, self.password, self.prefix = repository_id, password, prefix
        self.records: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self.outage = False
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.api+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with fake.lock:
                    fake.requests.append((method, self.path, body))
                    status, answer = fake.handle(method, self.path, self.headers, body)
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeDataCite:
        self.thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- DataCite's behaviour -------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        if self.outage:
            return 503, _errors("", "Service Unavailable")
        if not self._authorised(headers.get("Authorization", "")):
            return 401, _errors("", "Bad credentials.")
        if not path.startswith("/dois"):
            return 404, _errors("", "The resource you are looking for doesn't exist.")
        doi = unquote(path[len("/dois/") :]).lower() if path.startswith("/dois/") else ""
        if method == "GET":
            found = self.records.get(doi)
            return (200, _document(found)) if found else (404, _errors("", "Not found"))
        if method == "DELETE":
            found = self.records.get(doi)
            if found is None:
                return 404, _errors("", "Not found")
            if found["state"] != "draft":
                return 405, _errors("state", "Only draft DOIs can be deleted.")
            del self.records[doi]
            return 204, None
        if headers.get("Content-Type", "").split(";")[0] != "application/vnd.api+json":
            return 415, _errors("", "Content-Type must be application/vnd.api+json")
        data = (body or {}).get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != "dois":
            return 400, _errors("data", "A JSON:API document of type dois is expected.")
        attributes = dict(data.get("attributes") or {})
        doi = doi or str(attributes.get("doi", "")).lower()
        if method == "POST" and doi in self.records:
            return 422, _errors("doi", "This DOI has already been taken")
        if attributes.get("doi") and str(attributes["doi"]).lower() != doi:
            return 422, _errors("doi", "The DOI in the URL and in the body differ.")
        if not doi.startswith(self.prefix.lower() + "/"):
            return 403, _errors("doi", "This DOI prefix is not associated with the repository.")
        current = self.records.get(doi)
        state = current["state"] if current else "draft"
        event = attributes.pop("event", "")
        moves = {
            ("publish", "draft"): "findable",
            ("publish", "registered"): "findable",
            ("publish", "findable"): "findable",
            ("register", "draft"): "registered",
            ("hide", "findable"): "registered",
        }
        if event:
            if (event, state) not in moves:
                return 422, _errors("event", f"Cannot {event} a {state} DOI.")
            state = moves[(event, state)]
        merged = {**(current["attributes"] if current else {}), **attributes, "doi": doi}
        if state != "draft":
            problems = self.check(merged)
            if problems:
                return 422, {"errors": problems}
        self.records[doi] = {"state": state, "attributes": merged}
        return (201 if current is None else 200), _document(self.records[doi])

    def check(self, attributes: dict[str, Any]) -> list[dict[str, str]]:
        """What DataCite refuses in a findable or registered record."""
        problems = [
            {"source": name, "title": "can't be blank"}
            for name in ("url", *MANDATORY)
            if not attributes.get(name)
        ]
        if not (attributes.get("types") or {}).get("resourceTypeGeneral"):
            problems.append({"source": "types", "title": "resourceTypeGeneral can't be blank"})
        document = {k: v for k, v in attributes.items() if k not in {"url", "state"}}
        if not schema45.validate(document):
            errors = sorted(schema45.validator.iter_errors(document), key=str)
            problems += [{"source": ".".join(map(str, e.path)), "title": e.message} for e in errors]
        return problems

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        expected = f"{self.repository_id}:{self.password}".encode()
        return base64.b64decode(header[6:]) == expected


def _errors(source: str, title: str) -> dict[str, Any]:
    return {"errors": [{"source": source, "title": title}]}


def _document(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "id": record["attributes"]["doi"],
            "type": "dois",
            "attributes": {**record["attributes"], "state": record["state"]},
        }
    }
