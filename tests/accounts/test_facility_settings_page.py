"""A facility admin sets how the facility's datasets are published on the settings page."""

from __future__ import annotations

from submissions.accounts.models import Facility, User
from tests.conftest import signed_in

URL = "/facility/{slug}/settings/"


def test_the_admin_sets_the_ror_id_and_embargoed_titles(
    facility: Facility, facility_admin: User
) -> None:
    client = signed_in(facility_admin)
    page = client.get(URL.format(slug=facility.slug)).content.decode()
    assert "ROR id of the facility" in page
    assert "Show the titles of embargoed datasets" in page

    answer = client.post(
        URL.format(slug=facility.slug),
        {
            "section": "publication",
            "ror": "https://ror.org/02catss52",
            "show_embargoed_titles": "on",
        },
    )
    assert answer.status_code == 302
    facility.refresh_from_db()
    assert facility.ror == "https://ror.org/02catss52"
    assert facility.show_embargoed_titles is True
    # The review settings form is a form of its own: saving it leaves publication alone.
    client.post(URL.format(slug=facility.slug), {"allow_self_review": "on"})
    facility.refresh_from_db()
    assert facility.allow_self_review
    assert facility.show_embargoed_titles


def test_a_wrong_ror_id_is_explained_and_the_input_kept(
    facility: Facility, facility_admin: User
) -> None:
    answer = signed_in(facility_admin).post(
        URL.format(slug=facility.slug),
        {"section": "publication", "ror": "not a ror", "show_embargoed_titles": "on"},
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "A ROR id looks like https://ror.org/02catss52." in page
    assert 'value="not a ror"' in page
    assert 'id="setting-show_embargoed_titles" name="show_embargoed_titles" checked' in page
    facility.refresh_from_db()
    assert facility.ror == ""
    assert facility.show_embargoed_titles is False


def test_only_the_facility_admin_changes_publication_settings(
    facility: Facility, curator: User, outsider: User
) -> None:
    body = {"section": "publication", "ror": "https://ror.org/02catss52"}
    assert signed_in(curator).post(URL.format(slug=facility.slug), body).status_code == 403
    assert signed_in(outsider).post(URL.format(slug=facility.slug), body).status_code == 404
    facility.refresh_from_db()
    assert facility.ror == ""
