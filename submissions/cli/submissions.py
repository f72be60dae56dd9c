"""`aperture submissions` and `aperture new`: list your submissions, start one from the shell.

Together with `aperture upload` a researcher can go from a folder of images to a draft with
its files without opening the browser; the description is then completed on the page the
command prints.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import httpx

from submissions.cli.config import Settings, load_settings
from submissions.cli.errors import UsageError, http_failure


def _client(settings: Settings) -> httpx.Client:
    if not settings.token:
        raise UsageError(
            "no API token. Copy yours from the API token page of your account and "
            'set APERTURE_TOKEN, or put token = "…" in ~/.config/aperture/config.toml.'
        )
    return httpx.Client(
        base_url=f"{settings.url}/api/v1/",
        headers={"Authorization": f"Token {settings.token}"},
        timeout=30,
    )


def _fail(response: httpx.Response) -> int:
    raise http_failure(response)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="Aperture's address (default: APERTURE_URL or config)")
    parser.add_argument("--token", help="API token (default: APERTURE_TOKEN or config)")


def list_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aperture submissions", description="List your submissions, newest first."
    )
    _common(parser)
    args = parser.parse_args(argv)
    settings = load_settings(url=args.url, token=args.token)
    rows: list[dict[str, Any]] = []
    with _client(settings) as client:
        url: str | None = "submissions/"
        while url:
            response = client.get(url)
            if response.status_code != 200:
                return _fail(response)
            page = response.json()
            rows += page.get("results", [])
            url = page.get("next")
    if not rows:
        print('No submissions yet. Start one with: aperture new "<title>" --facility <slug>')
        return 0
    for row in rows:
        accession = row.get("accession") or ""
        print(f"{row['id']}  {row['status']:<17} {accession:<8} {row['title']}")
    return 0


def new_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aperture new", description="Start a draft submission and print its id."
    )
    parser.add_argument("title", help="a working title (the description can change it)")
    parser.add_argument("--facility", help="facility slug (needed if you belong to several)")
    _common(parser)
    args = parser.parse_args(argv)
    settings = load_settings(url=args.url, token=args.token)
    with _client(settings) as client:
        facility = args.facility
        if not facility:
            response = client.get("facilities/")
            if response.status_code != 200:
                return _fail(response)
            slugs = [f["slug"] for f in response.json().get("results", [])]
            if len(slugs) != 1:
                choices = ", ".join(slugs) or "none: ask your facility to invite you"
                raise UsageError(f"choose a facility with --facility ({choices})")
            facility = slugs[0]
        response = client.post("submissions/", json={"facility": facility, "title": args.title})
        if response.status_code != 201:
            return _fail(response)
        created = response.json()
    print(created["id"])
    print(
        f"Draft created. Add files: aperture upload {created['id']} PATH...\n"
        f"Describe it: {settings.url}/submissions/{created['id']}/edit/",
        file=sys.stderr,
    )
    return 0
