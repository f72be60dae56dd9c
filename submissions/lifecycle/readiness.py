"""Whether a submission's files let it be submitted, said file by file in sentences.

A submission goes to review only when every file has arrived, been verified and inspected:
none failed and none still in flight (uploading, being verified, being inspected). Files
taken back (aborted uploads) do not count either way. At least one file must be ready.
"""

from __future__ import annotations

from collections.abc import Iterable

from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus

FILES = "files"  # the key file problems are listed under in a submission's problems
READY = FileStatus.INSPECTED
_IN_FLIGHT = {
    FileStatus.UPLOADING: "is still uploading. Wait until it finishes, or remove it.",
    FileStatus.UPLOADED: "is still being verified. Wait a moment, then try again.",
    FileStatus.VERIFIED: "is still being inspected. Wait a moment, then try again.",
}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def file_sentence(data_file: DataFile) -> str | None:
    """Why this file stops the submission, or None when it does not."""
    name = f"“{data_file.name}”"
    if data_file.status == FileStatus.FAILED:
        reason = _sentence(data_file.failure_message or "It could not be read")
        if reason[:1].isupper() and reason[1:2].islower():
            reason = reason[0].lower() + reason[1:]  # it continues the sentence
        return f"{name} failed: {reason} Remove it before you submit."
    waiting = _IN_FLIGHT.get(FileStatus(data_file.status))
    return f"{name} {waiting}" if waiting else None


def file_problems(files: Iterable[DataFile]) -> list[str]:
    """One sentence per file that is failed or in flight; else one if no file is there."""
    files = list(files)
    problems = [s for s in (file_sentence(f) for f in files) if s]
    if not problems and not any(f.status == READY for f in files):
        problems.append("Upload at least one file and wait until it has been inspected.")
    return problems


def submission_file_problems(*, submission: Submission) -> list[str]:
    return file_problems(submission.files.only("name", "status", "failure_message"))


def refusal_message(problems: dict[str, list[str]]) -> str:
    """The one message a refused submit answers with: the file sentences in full, then how
    many fields of the description need completing."""
    parts = ["This submission cannot be submitted yet."]
    parts += problems.get(FILES, [])
    fields = len([path for path in problems if path != FILES])
    if fields:
        parts.append(
            "1 field of the description needs completing."
            if fields == 1
            else f"{fields} fields of the description need completing."
        )
    return " ".join(parts)
