"""API tokens: made on the account pages (the key shown once), listed with their expiry and last
use, revocable one by one, and all revoked by a new password or by "log out everywhere",
which also ends every session. `Authorization: Token <key>` works as before."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from submissions.accounts.models import ApiToken, User
from submissions.accounts.tokens import issue_token
from tests import factories
from tests.conftest import signed_in

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def _me(key: str) -> object:
    return Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def _make_on_the_page(client: Client, name: str) -> str:
    page = client.post("/account/api-token/", {"name": name})
    assert page.status_code == 201
    assert page["Cache-Control"] == "no-store"
    key = page.context["new_key"]
    assert key.startswith("apt_")
    assert key in page.content.decode()
    return str(key)


def test_a_token_made_on_the_page_is_shown_once_and_then_listed_without_its_key(
    researcher: User,
) -> None:
    client = signed_in(researcher)
    key = _make_on_the_page(client, "lab workstation")
    listing = client.get("/account/api-token/").content.decode()
    assert "lab workstation" in listing
    assert key[:12] in listing  # its first characters tell it apart
    assert key not in listing
    account = client.get("/account/").content.decode()
    assert "lab workstation" in account
    assert key not in account
    token = ApiToken.objects.get(user=researcher)
    assert key not in (token.digest, token.prefix, token.credentials)  # only a hash is kept


def test_the_key_authenticates_and_its_use_is_recorded(researcher: User) -> None:
    token, key = issue_token(user=researcher, name="cli")
    response = _me(key)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.json()["email"] == researcher.email  # type: ignore[attr-defined]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_tokens_expire_after_api_token_days(researcher: User, settings: object) -> None:
    settings.API_TOKEN_DAYS = 90  # type: ignore[attr-defined]
    token, key = issue_token(user=researcher)
    lifetime = token.expires_at - timezone.now()
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _me(key)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "expired on" in response.json()["message"]  # type: ignore[attr-defined]
    settings.API_TOKEN_DAYS = 7  # type: ignore[attr-defined]
    shorter, _ = issue_token(user=researcher)
    assert shorter.expires_at - timezone.now() <= timedelta(days=7)


def test_a_revoked_token_stops_working_and_others_ids_are_404(
    researcher: User, outsider: User
) -> None:
    mine, my_key = issue_token(user=researcher, name="mine")
    theirs, their_key = issue_token(user=outsider, name="theirs")
    client = signed_in(researcher)
    assert client.post(f"/account/api-token/{theirs.pk}/revoke/").status_code == 404
    assert _me(their_key).status_code == 200  # type: ignore[attr-defined]
    assert client.post(f"/account/api-token/{mine.pk}/revoke/").status_code == 302
    assert _me(my_key).status_code == 401  # type: ignore[attr-defined]
    assert not ApiToken.objects.filter(pk=mine.pk).exists()


def test_changing_the_password_revokes_every_token(researcher: User) -> None:
    _token, key = issue_token(user=researcher)
    client = signed_in(researcher)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a new Passphrase 42",
            "password2": "a new Passphrase 42",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert _me(key).status_code == 401  # type: ignore[attr-defined]
    assert not ApiToken.objects.filter(user=researcher).exists()
    assert client.get("/account/").status_code == 200  # this session carries on


def test_a_password_set_any_other_way_ends_the_tokens_too(researcher: User) -> None:
    """The admin's password form and `manage.py changepassword` bypass allauth: the tokens
    carry the credentials hash, so they stop working all the same."""
    _token, key = issue_token(user=researcher)
    researcher.set_password("set by an administrator 7")
    researcher.save()
    assert _me(key).status_code == 401  # type: ignore[attr-defined]


def test_log_out_everywhere_ends_every_session_and_token(researcher: User) -> None:
    _token, key = issue_token(user=researcher)
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        assert device.login(email=researcher.email, password=PASSWORD)
        assert device.get("/account/").status_code == 200
    response = laptop.post("/account/log-out-everywhere/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "signed out on every device" in response.content.decode()
    for device in (laptop, phone):
        assert device.get("/account/")["Location"].startswith("/accounts/login/")
    assert _me(key).status_code == 401  # type: ignore[attr-defined]
    fresh = Client()
    assert fresh.login(email=researcher.email, password=PASSWORD)  # signing in again works
    assert fresh.get("/account/").status_code == 200


def test_log_out_everywhere_over_the_api(researcher: User) -> None:
    _token, key = issue_token(user=researcher)
    browser = signed_in(researcher)
    response = Client().post("/api/v1/me/log-out-everywhere/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json() == {"tokens_revoked": 1}
    assert _me(key).status_code == 401  # type: ignore[attr-defined]
    assert browser.get("/account/").status_code == 302


def test_the_api_lists_makes_and_revokes_tokens(researcher: User, outsider: User) -> None:
    from rest_framework.test import APIClient

    session = APIClient()
    session.force_login(researcher)
    made = session.post("/api/v1/me/tokens/", {"name": "script"}, format="json")
    assert made.status_code == 201
    body = made.json()
    assert body["token"].startswith("apt_")
    assert body["name"] == "script"
    listed = session.get("/api/v1/me/tokens/").json()
    assert [t["name"] for t in listed] == ["script"]
    assert "token" not in listed[0]
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert with_token.get("/api/v1/me/tokens/").json()[0]["current"] is True
    # A token cannot make tokens: that would let it outlive its own expiry.
    refused = with_token.post("/api/v1/me/tokens/", {"name": "more"}, format="json")
    assert refused.status_code == 403
    theirs, _ = issue_token(user=outsider)
    assert session.delete(f"/api/v1/me/tokens/{theirs.pk}/").status_code == 404
    assert session.delete(f"/api/v1/me/tokens/{body['id']}/").status_code == 204
    assert with_token.get("/api/v1/me/").status_code == 401


def test_a_wrong_or_malformed_key_is_a_401_not_a_500(researcher: User) -> None:
    for header in ["Token apt_nope", "Token", "Token a b", "Token \u00ff\u00fe"]:
        response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_an_inactive_account_cannot_use_its_token(researcher: User) -> None:
    _token, key = issue_token(user=researcher)
    User.objects.filter(pk=researcher.pk).update(is_active=False)
    assert _me(key).status_code == 401  # type: ignore[attr-defined]


def test_the_token_limit_is_a_clear_400(researcher: User) -> None:
    from submissions.accounts import tokens

    for _ in range(tokens.MAX_TOKENS):
        issue_token(user=researcher)
    page = signed_in(researcher).post("/account/api-token/", {"name": "one more"})
    assert page.status_code == 400
    assert "revoke one" in page.content.decode()


def test_nobody_elses_tokens_are_listed(researcher: User) -> None:
    other = factories.UserFactory()
    issue_token(user=other, name="not yours")
    assert "not yours" not in signed_in(researcher).get("/account/api-token/").content.decode()
