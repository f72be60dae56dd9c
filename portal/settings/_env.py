"""What every part of the settings reads: the checkout, the environment, the writable folder."""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Every writable path derives from a setting; nothing is created here. Each process creates
# what it needs when it starts (submissions/core/paths.py), with a clear error if it cannot.
VAR_DIR = Path(env.str("APERTURE_VAR_DIR", default=str(BASE_DIR / "var")))
