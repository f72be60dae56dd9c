"""The converter is a plain library: `aperture convert` and the workers call the same code,
and importing any of it loads no Django, Celery or REST framework (so its tests, like this
one, need no database)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import submissions.conversion as package
for module in pkgutil.walk_packages(package.__path__, "submissions.conversion."):
    importlib.import_module(module.name)
frameworks = ("django", "celery", "rest_framework", "portal")
print(sorted({name.split(".")[0] for name in sys.modules if name.startswith(frameworks)}))
"""


def test_importing_every_conversion_module_loads_no_web_framework() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
