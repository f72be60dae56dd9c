"""The files page's uploader as a test sees it: what each row, the total, the summary and the
screen-reader log say. Shared by the upload, resume and journey browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETTLED = ("Verified", "Failed", "Removed")


@dataclass(frozen=True)
class Row:
    name: str
    size: str
    state: str
    detail: str


class UploaderPage:
    def __init__(self, page: Any, base_url: str, submission: Any) -> None:
        self.page = page
        self.url = f"{base_url}/submissions/{submission.pk}/files/"

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.get_by_role("heading", name="Files", exact=True).wait_for()
        self.ready()

    def ready(self) -> None:
        """Until the uploader's script has run (buttons before it do nothing)."""
        self.page.locator("#uploader[data-ready=true]").wait_for(state="attached")

    def add(self, *paths: Path) -> None:
        self.ready()
        self.page.locator("#upload-files").set_input_files([str(p) for p in paths])

    def start(self, label: str) -> None:
        self.page.get_by_role("button", name=label, exact=True).click()

    def item(self, name: str) -> Any:
        return self.page.locator(".upload-item").filter(
            has=self.page.locator(".upload-name", has_text=name)
        )

    def row(self, name: str) -> Row:
        item = self.item(name)
        return Row(
            name=item.locator(".upload-name").inner_text(),
            size=item.locator(".upload-size").inner_text(),
            state=item.locator(".upload-state").inner_text().strip(" \u2713\u2717\u00a0"),
            detail=item.locator(".upload-detail").inner_text(),
        )

    def wait_state(self, name: str, state: str, timeout: float = 60_000) -> None:
        self.item(name).locator(".upload-state", has_text=state).wait_for(timeout=timeout)

    def wait_settled(self, count: int, timeout: float = 90_000) -> None:
        """Until `count` rows have an end state, nothing is in flight or being checked, and
        the summary is written."""
        self.page.wait_for_function(
            """(count) => {
              const ends = ['Verified', 'Failed', 'Removed'];
              const states = [...document.querySelectorAll('.upload-item .upload-state')]
                .map((s) => s.textContent);
              const summary = document.getElementById('upload-summary');
              const idle = document.getElementById('uploader').dataset.busy === 'false';
              return states.filter((s) => ends.includes(s)).length >= count
                && idle && summary && !summary.hidden;
            }""",
            arg=count,
            timeout=timeout,
        )

    def progress_text(self) -> str:
        return str(self.page.locator("#upload-progress-text").inner_text())

    def summary(self) -> str:
        return str(self.page.locator("#upload-summary").inner_text())

    def log(self) -> list[str]:
        """What the polite live region has said, oldest first."""
        return [str(t) for t in self.page.locator("#upload-log p").all_text_contents()]

    def assert_true_to(self, submission: Any) -> None:
        """No row and no summary claims more than the server knows about the files."""
        from submissions.uploads.models import DataFile, FileStatus

        rows = [self.row(n) for n in self.page.locator(".upload-name").all_inner_texts()]
        counts = {state: sum(r.state == state for r in rows) for state in SETTLED}
        for row in rows:
            newest = (
                DataFile.objects.filter(submission=submission, name=row.name)
                .order_by("-created_at")
                .first()
            )
            status = newest.status if newest else None
            if row.state == "Verified":
                assert status in (FileStatus.VERIFIED, FileStatus.INSPECTED), (row, status)
            elif row.state == "Failed" and newest is not None and status == FileStatus.FAILED:
                assert row.detail == newest.failure_message, row
            elif row.state == "Failed":  # refused before completion: the upload stays open
                assert status == FileStatus.UPLOADING, (row, status)
            elif row.state == "Removed":
                assert status in (None, FileStatus.ABORTED), (row, status)
        if counts["Verified"] + counts["Failed"] + counts["Removed"] == len(rows) and rows:
            summary = self.summary()
            assert f"{counts['Verified']} verified" in summary, summary
            assert (f"{counts['Failed']} failed" in summary) == bool(counts["Failed"]), summary
            complete = counts["Verified"] > 0 and not counts["Failed"]
            assert summary.startswith("Upload complete") == complete, summary
