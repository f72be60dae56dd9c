"""Mail: files under var/mail unless EMAIL_URL is set."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from ._env import BASE_DIR, VAR_DIR, env

_EMAIL_URL = env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
EMAIL_CONFIG = env.email_url_config(_EMAIL_URL)
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    # django-environ drops the leading "/" of filemail:///abs/path, which made the default
    # folder relative to wherever a process started. Read the URL's path ourselves: absolute
    # stays absolute, anything else is under the checkout.
    _mail_url = urllib.parse.urlparse(
        env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
    )
    _mail_path = Path(urllib.parse.unquote(_mail_url.netloc + _mail_url.path))
    EMAIL_FILE_PATH = str(_mail_path if _mail_path.is_absolute() else BASE_DIR / _mail_path)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Aperture <aperture@localhost>")
