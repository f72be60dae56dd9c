"""Accounts: django-allauth, sessions, API tokens, single sign-on."""

from __future__ import annotations

from ._env import env

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "submissions.accounts.adapter.AccountAdapter"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# allauth's rate limits (login failures, sign-ups, resets; its defaults) key on the client IP.
# Behind n proxies of ours, that is the n-th address of X-Forwarded-For from the right; with
# 0 the header is ignored (anyone can write it) and the connecting address counts.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# A signed-in session ends after this long without a request (accounts.middleware).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=120)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_IDLE_REFRESH_SECONDS = 60  # how often activity re-saves a session (one write a minute)
# API tokens (accounts.tokens) stop working this many days after they are made.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Institutional single sign-on: OpenID Connect providers come from the environment as JSON,
# see README "Single sign-on".
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"APPS": env.json("OIDC_PROVIDERS", default=[])},
}
