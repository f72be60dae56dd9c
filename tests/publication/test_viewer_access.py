"""Who gets the viewer on a landing page, and who can read the bytes it would read.

The viewer reads the published OME-Zarr through the dataset's public addresses, so the
embargo rules of those addresses hold for it: while a dataset is under embargo, anyone
outside it (signed out, or of another facility) gets no viewer and a 404 for every object of
the image; those involved (the owner, their group, the facility's curators) get both, read with
their own session and never opened to other origins.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.core import keys, storage
from submissions.core.viewer import describe_image
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.publication.models import Publication
from submissions.review import services as review

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(submitted: Submission, curator: User, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.PUBLISHED
    return submitted


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def viewer_images(html: str) -> list[dict[str, str]] | None:
    found = re.search(r'<script id="viewer-images" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1)) if found else None


def every_object_url(submission: Submission) -> list[str]:
    urls = []
    for data_file in submission.files.all():
        prefix = keys.archive_prefix(accession=submission.accession, file_id=data_file.pk)
        base = f"/datasets/{submission.accession}/files/{data_file.pk}.ome.zarr/"
        urls += [base + key for key in storage.list_tree(storage=storage.archive(), prefix=prefix)]
    return urls


def embargo(submission: Submission) -> None:
    release = dt.date.today() + dt.timedelta(days=30)
    metadata = {**submission.metadata, "study": {"title": "x", "release_date": release.isoformat()}}
    Submission.objects.filter(pk=submission.pk).update(metadata=metadata)
    # What decides it: the publication's release date, and no release yet.
    Publication.objects.filter(submission=submission).update(release_date=release, released_at=None)


def test_a_released_dataset_offers_the_viewer_for_each_image(published: Submission) -> None:
    html = as_user(None).get(f"/datasets/{published.accession}/").content.decode()
    images = viewer_images(html)
    assert images is not None
    assert [image["name"] for image in images] == ["cells_a.ome.tif", "cells_b.ome.tif"]
    for image in images:
        assert image["description"] in html  # the text alternative is on the page itself
        root = as_user(None).get(image["url"] + "zarr.json")
        assert root.status_code == 200
        assert root["Access-Control-Allow-Origin"] == "*"
    assert 'src="/static/vendor/viewer/viewer.js"' in html
    assert 'type="module"' in html


def test_under_embargo_outsiders_get_no_viewer_and_no_byte(
    published: Submission, outsider: User
) -> None:
    urls = every_object_url(published)
    assert len(urls) > 10  # zarr.json of root, OME, series, levels, and the chunks
    embargo(published)
    for user in (None, outsider):
        html = as_user(user).get(f"/datasets/{published.accession}/").content.decode()
        assert "Under embargo until" in html
        assert viewer_images(html) is None
        assert "data-ome-zarr-viewer" not in html
        client = as_user(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.get(url, HTTP_RANGE="bytes=0-15").status_code == 404, url


def test_under_embargo_those_involved_view_it_with_their_own_session(
    published: Submission, researcher: User, curator: User
) -> None:
    urls = every_object_url(published)
    embargo(published)
    for user in (researcher, curator):
        client = as_user(user)
        html = client.get(f"/datasets/{published.accession}/").content.decode()
        assert viewer_images(html) is not None
        for url in urls[:5]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Access-Control-Allow-Origin" not in response  # never to other sites
            assert "public" not in response.get("Cache-Control", "")


def test_the_text_alternative_reads_like_a_sentence() -> None:
    times = "\u00d7"
    one = {
        "series": [
            {
                "sizes": {"T": 1, "C": 2, "Z": 30, "Y": 1024, "X": 2048},
                "pixel_type": "uint8",
                "physical_sizes": {"x": 0.1, "y": 0.1, "unit": "micrometer"},
                "channel_names": ["DAPI", "GFP"],
            }
        ]
    }
    assert describe_image(one) == (
        f"2 channels (DAPI, GFP), 30 z-planes, 2,048 {times} 1,024 pixels of "
        f"0.1 {times} 0.1 µm, 8-bit values."
    )
    many = {"series": [{"name": f"well {i}", "sizes": {"C": 1, "Y": 8, "X": 8}} for i in range(7)]}
    text = describe_image(many)
    assert text.startswith(f"7 series: series 1: well 0: 1 channel, 8 {times} 8 pixels;")
    assert text.endswith("; and 2 more.")
    assert "dimensions were not recorded" in describe_image({})
    # Unnamed channels (plain TIFFs) are not listed as blanks; odd values do not break it.
    odd = {"series": [{"sizes": {"C": 3}, "channel_names": ["", "", ""], "physical_sizes": 5}]}
    assert describe_image(odd) == f"3 channels, 1 {times} 1 pixels."
