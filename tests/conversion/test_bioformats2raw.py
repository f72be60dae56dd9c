"""The bioformats2raw wrapper against the pinned release's contract, one behaviour per test.

bioformats2raw is the one program these tests fake (it is Java, not installable here): the
stand-in tests/conversion/fake_bioformats2raw.py reproduces what each line cited below does.
Sources, read with the search tool:
- Converter.java = https://github.com/glencoesoftware/bioformats2raw/blob/v0.11.0/src/main/
  java/com/glencoesoftware/bioformats2raw/Converter.java
- ProgressBarListener.java (same folder); progressbar = https://github.com/ctongfei/
  progressbar (DefaultProgressBarRenderer, ProgressBarStyle.ASCII)
- picocli = https://picocli.info/#_exit_code and CommandLine.ExitCode (OK 0, SOFTWARE 1,
  USAGE 2); bioformats2raw PR #287 ("Use CommandLine.execute() and return exit code").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import tifffile

from submissions.conversion import bioformats2raw as b2r
from submissions.conversion.bioformats2raw import (
    ProgressParser,
    bioformats2raw_version,
    build_args,
    run_bioformats2raw,
)
from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.subprocess import run_subprocess
from tests.conversion.standin import write_standin

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def standin(tmp_path: Path) -> Path:
    return write_standin(tmp_path)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "input.ome.tif"
    tifffile.imwrite(path, np.ones((2, 64, 64), np.uint16), ome=True, photometric="minisblack")
    return path


def run(standin: Path, source: Path, tmp_path: Path, **kwargs: object) -> b2r.Bioformats2rawRun:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return run_bioformats2raw(
        executable=str(standin),
        input_path=source,
        output_path=tmp_path / "out.ome.zarr",
        scratch_dir=scratch,
        timeout_s=60,
        memory_limit_bytes=2 * 2**30,
        **kwargs,  # type: ignore[arg-type]
    )


# --- The pin -------------------------------------------------------------------------------


def test_one_pinned_version_read_by_the_worker_image_and_the_docs() -> None:
    pin = (ROOT / "submissions/conversion/bioformats2raw.version").read_text().strip()
    dockerfile = (ROOT / "docker/Dockerfile.worker").read_text()

    assert b2r.PINNED_VERSION == pin == "0.11.0"
    assert "bioformats2raw.version" in dockerfile
    assert pin not in dockerfile  # read from the file, not repeated
    for doc in ("README.md", "docs/architecture.md"):
        assert "submissions/conversion/bioformats2raw.version" in (ROOT / doc).read_text()


# --- --version -----------------------------------------------------------------------------


def test_version_exits_255(standin: Path) -> None:
    # Converter.call(): `if (printVersion) { System.out.println("Version = " + version); ...
    # return -1; }` and main(): `System.exit(new CommandLine(new Converter()).execute(args))`.
    completed = run_subprocess(args=[str(standin), "--version"], timeout_s=30)

    assert completed.returncode == 255
    assert completed.output_tail.splitlines()[0] == "Version = 0.11.0"


def test_version_is_read_from_the_output_whatever_the_exit_status(standin: Path) -> None:
    # The wrapper must not demand exit 0 from --version: the real program never gives it.
    assert bioformats2raw_version(executable=str(standin)) == "0.11.0"


def test_version_from_an_older_release_that_exits_zero() -> None:
    # Releases before PR #287 ran CommandLine.call(), ignoring the -1: they exit 0.
    assert b2r.parse_version("Version = 0.9.4\nBio-Formats version = 7.3.1\n") == "0.9.4"


def test_no_version_line_means_the_converter_is_missing(tmp_path: Path) -> None:
    # The Gradle launcher without Java prints "ERROR: JAVA_HOME is not set ..." and exits 1.
    script = tmp_path / "bioformats2raw"
    script.write_text("#!/bin/sh\necho 'ERROR: JAVA_HOME is not set and no java command'\nexit 1\n")
    script.chmod(0o755)

    with pytest.raises(ApplicationError) as caught:
        bioformats2raw_version(executable=str(script))

    assert caught.value.code == "converter_missing"
    assert "JAVA_HOME" in caught.value.details


def test_missing_executable_is_an_application_error(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as caught:
        run(tmp_path / "no-such-bioformats2raw", source, tmp_path)

    assert caught.value.code == "converter_missing"


# --- The command line ----------------------------------------------------------------------


def test_build_args_spells_every_option_as_converter_java_names_it() -> None:
    # @Option names: {"-w","--tile-width","--tile_width"}, {"-h","--tile-height",...},
    # {"--max-workers","--max_workers"}, {"-c","--compression"} (enum ZarrCompression
    # raw/zlib/blosc), "--memo-directory", {"--log-level","--debug"}, {"-r","--resolutions"},
    # {"-p","--progress"}; @Parameters index 0 input, index 1 output.
    args = build_args(
        executable="bioformats2raw",
        input_path=Path("/in/a.czi"),
        output_path=Path("/out/a.zarr"),
        memo_dir=Path("/scratch"),
        tile_width=512,
        tile_height=256,
        resolutions=5,
        max_workers=3,
        compression="none",
    )

    assert args == [
        "bioformats2raw", "--tile-width", "512", "--tile-height", "256", "--max-workers", "3",
        "--compression", "raw", "--memo-directory", "/scratch", "--log-level", "WARN",
        "--resolutions", "5", "--progress", "/in/a.czi", "/out/a.zarr",
    ]  # fmt: skip


def test_every_option_the_wrapper_passes_is_accepted(standin: Path, tmp_path: Path) -> None:
    # An option 0.11.0 does not declare would end the run with exit 2 (next test).
    for compression in ("blosc", "zstd", "none"):
        args = build_args(
            executable=str(standin),
            input_path=tmp_path / "in.tif",
            output_path=tmp_path / "out.zarr",
            memo_dir=tmp_path,
            compression=compression,
        )
        completed = run_subprocess(args=[*args[:-2], "--help"], timeout_s=30)
        assert completed.returncode == 0, completed.output_tail


def test_unknown_option_exits_2_and_is_our_error(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # picocli: a ParameterException prints the message and usage on stderr and execute()
    # returns exitCodeOnInvalidInput (2). 0.11.0 has no --ngff-version (added with Zarr v3).
    completed = run_subprocess(
        args=[str(standin), "--ngff-version", "0.5", str(source), "out.zarr"], timeout_s=30
    )
    assert completed.returncode == 2
    assert "Unknown option: '--ngff-version'" in completed.output_tail

    monkeypatch.setattr(b2r, "build_args", lambda **kw: [str(standin), "--ngff-version", "0.5"])
    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)
    assert caught.value.code == "converter_usage"


def test_help_exits_0(standin: Path) -> None:
    # @Option(names = "--help", usageHelp = true): picocli prints usage, exitCodeOnUsageHelp 0.
    completed = run_subprocess(args=[str(standin), "--help"], timeout_s=30)

    assert completed.returncode == 0
    assert completed.output_tail.startswith("Usage:")


def test_java_opts_carry_the_heap_and_a_private_tmpdir(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Gradle start script passes $JAVA_OPTS to java; Converter.call() checks that
    # java.io.tmpdir is not noexec.
    record = tmp_path / "record.json"
    monkeypatch.setenv("STANDIN_RECORD", str(record))

    run(standin, source, tmp_path)

    recorded = json.loads(record.read_text())
    assert recorded["java_opts"] == f"-Xmx1536m -Djava.io.tmpdir={tmp_path / 'scratch'}"
    assert recorded["argv"][-2:] == [str(source), str(tmp_path / "out.ome.zarr")]


# --- Progress ------------------------------------------------------------------------------


def test_progress_parser_reads_the_ascii_bars() -> None:
    # DefaultProgressBarRenderer: taskName + " " + percentage (width 4) + " " + "[" + bar +
    # "]" + " " + ratio (current right-aligned to max's width) + " (" + elapsed + " / " +
    # eta + ") "; ProgressBarListener names the task "[series/resolution]".
    seen: list[float] = []
    parser = ProgressParser(seen.append)
    for line in [
        "2025-09-10 10:00:00,000 [main] WARN  c.g.bioformats2raw.Converter - Non-default tile",
        "[0/0]   0% [>                                       ]  0/16 (0:00:00 / ?) ",
        "[0/0]  50% [====================>                   ]  8/16 (0:00:01 / 0:00:01) ",
        "[0/0] 100% [========================================] 16/16 (0:00:02 / 0:00:00) ",
        "[0/1] 100% [========================================]  4/4 (0:00:00 / 0:00:00) ",
    ]:
        parser.feed(line)

    assert seen == [0.5, 0.99]


def test_successful_run_reports_progress_to_the_end(
    standin: Path, source: Path, tmp_path: Path
) -> None:
    progress: list[float] = []

    outcome = run(
        standin, source, tmp_path, tile_width=16, tile_height=16, on_progress=progress.append
    )

    assert outcome.version == "0.11.0"
    assert progress == sorted(progress)
    assert 0.0 < progress[0] < 1.0
    assert progress[-1] == 1.0
    assert (tmp_path / "out.ome.zarr" / "OME" / "METADATA.ome.xml").is_file()


# --- Exit 1: an exception escaped call(); its class says whose fault ------------------------


def test_unknown_format_is_the_researchers_error(standin: Path, tmp_path: Path) -> None:
    # getBaseReaderClass(): ImageReader.setId -> loci.formats.UnknownFormatException; exit 1.
    odd = tmp_path / "notes.bin"
    odd.write_bytes(b"\x00\x01 nothing Bio-Formats knows" * 10)

    with pytest.raises(UserFileError) as caught:
        run(standin, odd, tmp_path)

    assert caught.value.code == "unsupported_input"
    assert "notes.bin" in caught.value.message


def test_corrupt_file_is_the_researchers_error(standin: Path, tmp_path: Path) -> None:
    # A reader's FormatException from setId/openBytes propagates out of call(): exit 1.
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00" + b"\xff" * 60)

    with pytest.raises(UserFileError) as caught:
        run(standin, broken, tmp_path)

    assert caught.value.code == "unreadable_input"


def test_out_of_memory_is_ours(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # unwrapException(): an Error from a tile task is wrapped in RuntimeException; exit 1.
    monkeypatch.setenv("STANDIN_FAIL", "oom")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "out_of_memory"


def test_chunk_failure_is_an_error(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # saveResolutions(): the tile lambda logs "Failure processing chunk", completes its
    # future exceptionally, and CompletableFuture.allOf(...).join() rethrows: exit 1.
    monkeypatch.setenv("STANDIN_FAIL", "chunk")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "converter_failed"
    assert "Failure processing chunk" in caught.value.details


def test_full_disk_is_transient(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_FAIL", "nospace")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "scratch_full"
    assert caught.value.transient


def test_existing_output_is_ours(standin: Path, source: Path, tmp_path: Path) -> None:
    # call(): `if (Files.exists(outputPath)) { if (!overwrite) throw new
    # IllegalArgumentException("Output path " + outputPath + " already exists"); }`
    (tmp_path / "out.ome.zarr").mkdir()

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "output_exists"


# --- Exit 0 is not trusted alone -------------------------------------------------------------


def test_exit_zero_after_a_logged_early_return_is_a_failure(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # convert(): `catch (Exception e) { LOGGER.error("Failed to instantiate reader: {}", ...);
    # return; }` -> call() returns 0 with no output written.
    monkeypatch.setenv("STANDIN_FAIL", "silent")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "converter_failed"
    assert not (tmp_path / "out.ome.zarr").exists()


# --- Signals and limits ----------------------------------------------------------------------


def test_killed_converter_is_transient(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGKILL (the OOM killer): the shell convention 128 + 9.
    monkeypatch.setenv("STANDIN_FAIL", "kill")

    with pytest.raises(ApplicationError) as caught:
        run(standin, source, tmp_path)

    assert caught.value.code == "killed"
    assert caught.value.transient


def test_time_limit_stops_the_converter(
    standin: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_SECONDS", "30")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    with pytest.raises(ApplicationError) as caught:
        run_bioformats2raw(
            executable=str(standin),
            input_path=source,
            output_path=tmp_path / "out.ome.zarr",
            scratch_dir=scratch,
            timeout_s=3,
            memory_limit_bytes=None,
        )

    assert caught.value.code == "timeout"
    assert os.listdir(scratch) == []
