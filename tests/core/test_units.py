"""One unit system everywhere: sizes are decimal (1 kB = 1,000 bytes) on every page, in mail,
in API and CLI messages, written by one helper (submissions.core.units.format_bytes) and its
one JavaScript twin (static/aperture/units.js)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.template import Context, Template

from submissions.core.units import format_bytes

ROOT = Path(__file__).resolve().parents[2]
FORMATTER = re.compile(r"function\s+\w*[Bb]ytes\w*\s*\(")
NODE = shutil.which("node")
SAMPLES = [0, 1, 999, 1000, 1499, 9_500_000, 9_437_184, 999_949, 10**9, 5 * 1024**4, 3 * 10**18]


def test_sizes_are_decimal() -> None:
    assert format_bytes(999) == "999 B"
    assert format_bytes(1000) == "1.0 kB"
    # 9 MiB is 9.4 MB: the number the quota refusal and the file list both say now.
    assert format_bytes(9 * 1024 * 1024) == "9.4 MB"
    assert format_bytes(9_500_000) == "9.5 MB"
    assert format_bytes(5 * 1024**4) == "5.5 TB"


def test_every_template_writes_sizes_with_the_one_filter() -> None:
    """Django's filesizeformat divides by 1024 but says "MB" (the "9.0 MB" of the file list
    that the quota refusal called "9.5 MB")."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("submissions", "templates")
        for path in (ROOT / folder).rglob("*.*")
        if path.suffix in {".html", ".txt"} and "filesizeformat" in path.read_text()
    ]
    assert offenders == []
    rendered = Template("{{ n|bytes }} {{ none|bytes }}").render(
        Context({"n": 9_437_184, "none": None})
    )
    assert rendered == "9.4 MB —"


def test_no_script_formats_sizes_on_its_own() -> None:
    scripts = (ROOT / "submissions" / "static" / "aperture").glob("*.js")
    own = [
        path.name
        for path in scripts
        if path.name != "units.js" and FORMATTER.search(path.read_text())
    ]
    assert own == []


@pytest.mark.skipif(NODE is None, reason="node is not installed (make install needs it)")
def test_the_javascript_twin_writes_the_same_text() -> None:
    script = (ROOT / "submissions" / "static" / "aperture" / "units.js").read_text()
    program = (
        "var window = {};\n" + script + "\nconsole.log(JSON.stringify("
        f"{json.dumps(SAMPLES)}.map(window.apertureUnits.formatBytes)));"
    )
    out = subprocess.run(
        [str(NODE), "-e", program], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert json.loads(out) == [format_bytes(n) for n in SAMPLES]
