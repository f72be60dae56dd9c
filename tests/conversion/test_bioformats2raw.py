"""The bioformats2raw wrapper: arguments, JAVA_OPTS, progress, exit-code mapping.

The real bioformats2raw (Java) cannot be installed on this machine, so these tests run a
STAND-IN executable (tests/conversion/standin.py) written into tmp_path that keeps
bioformats2raw's command-line contract and exit codes. The argument spellings follow
bioformats2raw's picocli options (-w/--tile_width, -h/--tile_height, -r/--resolutions,
--max_workers, -c/--compression, --overwrite, -p/--progress, --ngff-version).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion.bioformats2raw import (
    ProgressParser,
    bioformats2raw_version,
    build_args,
    run_bioformats2raw,
)
from submissions.conversion.errors import ApplicationError, UserFileError
from tests.conversion.standin import write_standin


@pytest.fixture
def standin(tmp_path: Path) -> Path:
    return write_standin(tmp_path)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "input.ome.tif"
    tifffile.imwrite(path, np.ones((2, 64, 64), np.uint16), ome=True, photometric="minisblack")
    return path


def run(standin: Path, source: Path, tmp_path: Path, **kwargs: object) -> object:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return run_bioformats2raw(
        executable=str(standin),
        input_path=source,
        output_path=tmp_path / "out.ome.zarr",
        scratch_dir=scratch,
        timeout_s=60,
        memory_limit_bytes=2 * 2**30,
        **kwargs,
    )


def test_build_args_spells_every_option() -> None:
    args = build_args(
        executable="bioformats2raw",
        input_path=Path("/in/a.czi"),
        output_path=Path("/out/a.zarr"),
        ngff_version="0.4",
        tile_width=512,
        tile_height=256,
        resolutions=5,
        max_workers=3,
        compression="none",
        overwrite=True,
    )

    assert args == [
        "bioformats2raw", "--ngff-version", "0.4", "--tile_width", "512", "--tile_height",
        "256", "--max_workers", "3", "--compression", "null", "--resolutions", "5",
        "--overwrite", "--progress", "/in/a.czi", "/out/a.zarr",
    ]  # fmt: skip


def test_version_is_parsed(standin: Path) -> None:
    assert bioformats2raw_version(executable=str(standin)) == "0.9.4-standin"


def test_successful_run_reports_progress_args_and_java_opts(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "record.json"
    monkeypatch.setenv("STANDIN_RECORD", str(record))
    progress: list[float] = []

    outcome = run(standin, source, tmp_path, max_workers=2, on_progress=progress.append)

    assert outcome.converter == "bioformats2raw"
    assert outcome.version == "0.9.4-standin"
    assert outcome.args[0] == str(standin)
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert 0.0 < progress[0] < 1.0
    recorded = json.loads(record.read_text())
    assert recorded["argv"][-2:] == [str(source), str(tmp_path / "out.ome.zarr")]
    assert "--max_workers" in recorded["argv"]
    assert recorded["java_opts"] == f"-Xmx1536m -Djava.io.tmpdir={tmp_path / 'scratch'}"
    assert (tmp_path / "out.ome.zarr" / "OME" / "METADATA.ome.xml").is_file()


def test_progress_parser_is_monotonic_and_ignores_other_lines() -> None:
    seen: list[float] = []
    parser = ProgressParser(seen.append)
    for line in [
        "INFO starting",
        "[0/0]  50% │██  │ 2/4 (0:00:01 / 0:00:01)",
        "[0/0] 100% │████│ 4/4 (0:00:02 / 0:00:00)",
        "[0/1]   0% │    │ 0/1 (0:00:00 / ?)",
        "[0/1] 100% │████│ 1/1 (0:00:00 / 0:00:00)",
    ]:
        parser.feed(line)

    assert seen == [0.5, 0.99]


@pytest.mark.parametrize(
    ("exit_code", "error_type", "code", "transient"),
    [
        (1, UserFileError, "unreadable_input", None),
        (2, UserFileError, "unsupported_input", None),
        (137, ApplicationError, "killed", True),
        (255, ApplicationError, "converter_failed", True),
        (3, ApplicationError, "converter_failed", False),
    ],
)
def test_exit_codes_are_mapped(
    standin: Path,
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    exit_code: int,
    error_type: type,
    code: str,
    transient: bool | None,
) -> None:
    monkeypatch.setenv("STANDIN_EXIT", str(exit_code))

    with pytest.raises(error_type) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == code
    if transient is not None:
        assert caught.value.transient is transient


def test_usage_error_is_ours_not_the_researchers(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Exit 2 with picocli's usage text means our command line was rejected (e.g. an older
    # bioformats2raw without --ngff-version), which the researcher cannot fix.
    monkeypatch.setenv("STANDIN_OLD_VERSION", "1")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "converter_usage"
    assert "Unknown option" in caught.value.details


def test_chunk_failure_is_an_error_even_with_exit_zero(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_CHUNK_FAILURE", "1")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "chunk_failure"
    assert "Failure processing chunk" in caught.value.details


def test_missing_executable_is_an_application_error(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as caught:
        run(tmp_path / "no-such-bioformats2raw", source, tmp_path)

    assert caught.value.code == "converter_missing"
