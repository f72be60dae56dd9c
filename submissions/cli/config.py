"""Where the CLI finds its server and token, and remembers uploads to resume."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    url: str
    token: str


def config_path() -> Path:
    if os.environ.get("APERTURE_CONFIG"):
        return Path(os.environ["APERTURE_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "aperture" / "config.toml"


def load_settings(*, url: str | None = None, token: str | None = None) -> Settings:
    """Flags first, then APERTURE_URL / APERTURE_TOKEN, then ~/.config/aperture/config.toml."""
    file: dict[str, Any] = {}
    path = config_path()
    if path.exists():
        file = tomllib.loads(path.read_text(encoding="utf-8"))
    url = url or os.environ.get("APERTURE_URL") or file.get("url") or "http://127.0.0.1:8000"
    token = token or os.environ.get("APERTURE_TOKEN") or file.get("token") or ""
    return Settings(url=str(url).rstrip("/"), token=str(token))


class UploadState:
    """upload ids by local file (path + size + mtime), so a rerun resumes where it stopped."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            base = os.environ.get("APERTURE_STATE_DIR") or os.environ.get("XDG_STATE_HOME")
            root = Path(base) if base else Path.home() / ".local" / "state"
            path = (root if os.environ.get("APERTURE_STATE_DIR") else root / "aperture") / (
                "uploads.json"
            )
        self.path = path
        try:
            self.data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    @staticmethod
    def key(*, server: str, submission: str, file: Path) -> str:
        stat = file.stat()
        raw = f"{server}|{submission}|{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, upload_id: str | None) -> None:
        if upload_id is None:
            self.data.pop(key, None)
        else:
            self.data[key] = upload_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
        tmp.replace(self.path)
