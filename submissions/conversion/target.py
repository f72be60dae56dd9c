"""Where a conversion writes: a local folder, or a prefix in an S3 bucket, written directly.

The converter never stages its output on local disk to push it afterwards: every object
(metadata, chunk or shard) goes straight to its final place. Callers describe the place with
an *output location* (a ``Path`` or an :class:`S3Location`) and the converter opens it with
:func:`open_target`. A target offers small writes (:meth:`Target.put`), streamed writes of
large objects assembled out of order (:meth:`Target.sink`, used for shards: an S3 multipart
upload whose parts go up in parallel while the converter still fills the shard), a listing,
and a read-only zarr store over what was written (validation, thumbnails).

- Folder: written under a hidden sibling ``.NAME.partial-PID`` and renamed into place by
  :meth:`Target.commit`, so an existing folder is always a finished conversion.
- S3: there is no rename; the prefix is emptied first (an earlier attempt's leftovers), the
  objects are written in place, and the dataset only becomes visible when publication writes
  its marker after checking the listing.

Pure library (no Django). Credentials for S3 travel in the child's environment, never on its
command line (see :meth:`S3Location.env`).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from submissions.conversion.s3 import (
    S3Location,
    S3ReadStore,
    S3Target,
    s3_listing,
    storage_unavailable,
)

if TYPE_CHECKING:
    from zarr.abc.store import Store

__all__ = [
    "FolderTarget",
    "OutputLocation",
    "S3Location",
    "S3ReadStore",
    "S3Target",
    "Sink",
    "Target",
    "describe",
    "open_target",
    "output_listing",
    "read_bytes",
    "read_store",
    "storage_unavailable",
]

OutputLocation = Path | S3Location


def describe(output: OutputLocation) -> str:
    return output.url if isinstance(output, S3Location) else str(output)


class Sink(Protocol):
    """One object written in pieces, possibly from several threads, in any order."""

    def append(self, data: bytes | memoryview) -> int:
        """Write ``data`` after everything appended so far; returns its offset."""
        ...

    def close(self) -> None:
        """Finish the object (every append has returned)."""
        ...


class Target(Protocol):
    name: str

    def put(self, key: str, data: bytes | memoryview) -> None: ...

    def sink(self, key: str) -> Sink: ...

    def listing(self) -> dict[str, int]: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...

    def store(self) -> Store: ...


# --- Folder ----------------------------------------------------------------------------------


class _FileSink:
    """Appends reserve their offset under a lock, then write with pwrite outside it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._size = 0
        self._lock = threading.Lock()

    def append(self, data: bytes | memoryview) -> int:
        view = memoryview(data).cast("B")
        with self._lock:
            offset = self._size
            self._size += view.nbytes
        written = 0
        while written < view.nbytes:
            written += os.pwrite(self._fd, view[written:], offset + written)
        return offset

    def close(self) -> None:
        os.close(self._fd)


class FolderTarget:
    def __init__(self, path: Path, *, overwrite: bool) -> None:
        from submissions.conversion.errors import ApplicationError

        self.path = Path(path)
        self.name = self.path.name
        if self.path.exists() and not overwrite:
            raise ApplicationError(
                code="output_exists", message=f"{self.path} already exists (use --overwrite)"
            )
        self.partial = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        shutil.rmtree(self.partial, ignore_errors=True)
        _remove_abandoned(self.path)
        self.partial.mkdir(parents=True)
        self._made: set[Path] = set()
        self._lock = threading.Lock()

    def _file(self, key: str) -> Path:
        path = self.partial / key
        parent = path.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                self._made.add(parent)
        return path

    def put(self, key: str, data: bytes | memoryview) -> None:
        self._file(key).write_bytes(memoryview(data).cast("B"))

    def sink(self, key: str) -> Sink:
        return _FileSink(self._file(key))

    def listing(self) -> dict[str, int]:
        return folder_listing(self.partial if self.partial.exists() else self.path)

    def commit(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)
        self.partial.replace(self.path)

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)

    def store(self) -> Store:
        from zarr.storage import LocalStore

        return LocalStore(self.partial if self.partial.exists() else self.path, read_only=True)


def _remove_abandoned(path: Path) -> None:
    """Remove partial outputs of ``path`` left by converters that were killed (their
    process is gone); one still running keeps its own."""
    if not path.parent.is_dir():
        return
    for partial in path.parent.glob(f".{path.name}.partial-*"):
        try:
            pid = int(partial.name.rsplit("-", 1)[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(partial, ignore_errors=True)
        except (ValueError, PermissionError):
            continue  # not ours to judge: another user's process, or a foreign name


def folder_listing(root: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            found[path.relative_to(root).as_posix()] = path.stat().st_size
    return found


def open_target(output: OutputLocation, *, overwrite: bool = False) -> Target:
    if isinstance(output, S3Location):
        return S3Target(output)
    return FolderTarget(Path(output), overwrite=overwrite)


def read_store(output: OutputLocation) -> Store:
    """A read-only zarr store over a finished output (validation, thumbnails)."""
    if isinstance(output, S3Location):
        return S3ReadStore(output)
    from zarr.storage import LocalStore

    return LocalStore(Path(output), read_only=True)


def output_listing(output: OutputLocation) -> dict[str, int]:
    """Every object of a finished output: key relative to it -> size in bytes."""
    if isinstance(output, S3Location):
        return s3_listing(output.client(), output)
    return folder_listing(Path(output))


def read_bytes(output: OutputLocation, key: str) -> bytes | None:
    """One small object of a finished output, or None when it is missing."""
    if isinstance(output, S3Location):
        client = output.client()
        try:
            response = client.get_object(Bucket=output.bucket, Key=f"{output.prefix}/{key}")
        except client.exceptions.NoSuchKey:
            return None
        return bytes(response["Body"].read())
    path = Path(output) / key
    return path.read_bytes() if path.is_file() else None
