"""Signing in is guarded: the admin has no login form of its own (allauth's, rate-limited,
takes its place), rate limits count the real client behind TRUSTED_PROXY_COUNT proxies and
live in Django's cache (Redis whenever REDIS_URL is set, so every process shares them), and a
session ends after SESSION_IDLE_MINUTES without a request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from submissions.accounts.models import User
from tests import factories

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
ROOT = Path(__file__).resolve().parents[2]


def _client(ip: str, forwarded: str | None = None) -> Client:
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client(**extra)


def _login(client: Client, email: str, password: str) -> int:
    response = client.post("/accounts/login/", {"login": email, "password": password})
    return response.status_code


LIMITED = "Too many failed login attempts"


def _refused_for_too_many(client: Client, email: str) -> bool:
    """allauth answers a rate-limited login with its form and this error, not a 429, and
    checks no password at all: even the right one is refused."""
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    return response.status_code == 200 and LIMITED in response.content.decode()


# --- The admin's login --------------------------------------------------------------------


def test_the_admin_login_checks_no_password_and_sends_people_to_allauth(db: None) -> None:
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client = _client("192.0.2.10")
    for attempt in range(25):
        response = client.post(
            "/admin/login/", {"username": staff.email, "password": f"guess {attempt}"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert client.get("/admin/").status_code == 302  # still nobody signed in


def test_wrong_passwords_lock_the_account_after_five_even_for_admins(db: None) -> None:
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client = _client("192.0.2.11")
    for attempt in range(5):
        assert _login(client, staff.email, f"guess {attempt}") == 200  # the form, with an error
    assert _refused_for_too_many(client, staff.email)  # even the right password, for a while
    assert client.get("/admin/").status_code == 302


def test_staff_sign_in_through_allauth_and_reach_the_admin(db: None) -> None:
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client = _client("192.0.2.12")
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- The client's address behind proxies ---------------------------------------------------


def _fail_logins_from(client: Client, count: int) -> None:
    """`count` failed logins, each for another address, so only the per-IP limit counts."""
    for _ in range(count):
        assert _login(client, f"nobody-{time.monotonic_ns()}@example.org", "wrong") == 200


def test_behind_a_trusted_proxy_limits_count_each_real_client(
    researcher: User, settings: object
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    proxy = "10.0.0.5"  # every request arrives from the proxy
    # The proxy appends the address it saw; anything to its left is the client's own claim.
    attacker = _client(proxy, forwarded="203.0.113.99, 198.51.100.7")
    _fail_logins_from(attacker, 10)  # allauth: 10 failed logins a minute per address
    assert _refused_for_too_many(_client(proxy, forwarded="198.51.100.7"), researcher.email)
    # Someone else behind the same proxy is not locked out.
    assert _login(_client(proxy, forwarded="198.51.100.8"), researcher.email, PASSWORD) == 302


def test_without_trusted_proxies_the_header_is_ignored(researcher: User, settings: object) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0  # type: ignore[attr-defined]
    _fail_logins_from(_client("192.0.2.20", forwarded="198.51.100.30"), 10)
    # Claiming another address does not escape the limit of the real one.
    claimed = _client("192.0.2.20", forwarded="198.51.100.31")
    assert _refused_for_too_many(claimed, researcher.email)


def test_a_short_forwarded_header_is_not_a_server_error(researcher: User, settings: object) -> None:
    """allauth raises ImproperlyConfigured (a 500) when X-Forwarded-For has fewer addresses
    than TRUSTED_PROXY_COUNT; such a request is keyed on the connecting address instead."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2  # type: ignore[attr-defined]
    client = _client("192.0.2.30", forwarded="198.51.100.40")
    assert _login(client, researcher.email, PASSWORD) == 302


# --- Shared counters -------------------------------------------------------------------------


@pytest.mark.skipif(
    django_settings.EMBEDDED_REDIS, reason="needs REDIS_URL (CI sets it); `make test` has none"
)
def test_with_redis_the_counters_are_shared_by_every_process(researcher: User) -> None:
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    _fail_logins_from(_client("192.0.2.40"), 3)
    # Another process is another connection to the same Redis: open one and look.
    other = RedisCache(django_settings.REDIS_URL, {"KEY_PREFIX": cache.key_prefix})
    client = other._cache.get_client(write=False)
    keys = [key.decode() for key in client.scan_iter(match=f"{cache.key_prefix}*")]
    assert any("login_failed" in key and "192.0.2.40" in key for key in keys), keys


def _production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'cache': s.CACHES['default'], 'proxies': "
        "s.ALLAUTH_TRUSTED_PROXY_COUNT, 'idle': s.SESSION_COOKIE_AGE, "
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']}))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "TRUSTED_PROXY_COUNT"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="aperture.example.org",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_uses_redis_as_the_cache_and_reads_the_proxy_count() -> None:
    done = _production_settings(
        REDIS_URL="redis://cache.internal:6379/1",
        TRUSTED_PROXY_COUNT="2",
        SESSION_IDLE_MINUTES="30",
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["cache"]["LOCATION"] == "redis://cache.internal:6379/1"
    assert loaded["proxies"] == 2
    assert loaded["idle"] == 30 * 60
    assert loaded["csp"] == ["'self'", "'wasm-unsafe-eval'"]


def test_production_refuses_to_start_without_redis() -> None:
    done = _production_settings()
    assert done.returncode != 0
    assert "REDIS_URL" in done.stderr


# --- Idle sessions -----------------------------------------------------------------------------


def test_an_idle_session_ends_and_an_active_one_slides(researcher: User, settings: object) -> None:
    settings.SESSION_COOKIE_AGE = 2  # type: ignore[attr-defined]  # SESSION_IDLE_MINUTES, in seconds
    settings.SESSION_IDLE_REFRESH_SECONDS = 0  # type: ignore[attr-defined]
    client = _client("192.0.2.50")
    assert _login(client, researcher.email, PASSWORD) == 302
    for _ in range(3):  # 3.6 s of activity in all: past the 2 s, still signed in
        time.sleep(1.2)
        assert client.get("/account/").status_code == 200
    time.sleep(2.5)  # idle
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_idle_time_is_the_session_lifetime() -> None:
    assert django_settings.SESSION_COOKIE_AGE == django_settings.SESSION_IDLE_MINUTES * 60
