"""Change points made in the viewer: "Request a change about this image".

Such a point names a file of the submission and what the curator was looking at (series,
z-plane, time point and the channels shown, 0-based, as `image_view`), with a screenshot of
the view. The screenshot is a PNG checked here (signature, size), stored in staging under a
key the server chooses (`keys.point_screenshot_key`), and served only to those who may see
the submission (`review.views.point_screenshot`).
"""

from __future__ import annotations

import uuid
from typing import Any

from submissions.core import keys, storage
from submissions.core.text import single_line

MAX_SCREENSHOT_BYTES = 3_000_000  # 3 MB: a full-HD canvas as PNG is well under it
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHANNELS = 64
MAX_INDEX = 1_000_000

NOT_A_VIEW = "The image view sent with this point could not be read; take it again."


def clean_view(raw: Any) -> dict[str, Any] | None:
    """The view as stored, or None when `raw` is not a view (the caller reports it)."""
    if not isinstance(raw, dict):
        return None
    view: dict[str, Any] = {}
    for axis in ("series", "z", "t"):
        value = raw.get(axis, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_INDEX:
            return None
        view[axis] = value
    channels = raw.get("channels", [])
    if not isinstance(channels, list) or len(channels) > MAX_CHANNELS:
        return None
    view["channels"] = []
    for channel in channels:
        if not isinstance(channel, dict):
            return None
        index, name = channel.get("index"), channel.get("name", "")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_INDEX:
            return None
        view["channels"].append({"index": index, "name": single_line(str(name))[:200]})
    return view


def screenshot_problem(data: bytes) -> str:
    """Why these bytes cannot be kept as a screenshot, or ""."""
    if len(data) > MAX_SCREENSHOT_BYTES:
        return f"The screenshot is too large (at most {MAX_SCREENSHOT_BYTES // 1_000_000} MB)."
    if not data.startswith(PNG_SIGNATURE):
        return "The screenshot must be a PNG image."
    return ""


def store_screenshot(*, submission_id: Any, data: bytes) -> str:
    """Write the checked PNG to staging under a new server-chosen key; returns the key."""
    key = keys.point_screenshot_key(submission_id=submission_id, name=uuid.uuid4())
    storage.write_bytes(storage=storage.staging(), key=key, data=data, content_type="image/png")
    return key


def describe_view(view: dict[str, Any]) -> str:
    """ "Series 1, z-plane 3, time point 1; channel GFP" (1-based, as people count)."""
    if not view:
        return ""
    parts = [f"series {view.get('series', 0) + 1}"]
    parts.append(f"z-plane {view.get('z', 0) + 1}")
    parts.append(f"time point {view.get('t', 0) + 1}")
    names = [c.get("name") or f"channel {c.get('index', 0) + 1}" for c in view.get("channels", [])]
    text = ", ".join(parts)
    if names:
        text += f"; {'channel' if len(names) == 1 else 'channels'} {', '.join(names)}"
    return text[:1].upper() + text[1:]


def clean_image_part(
    *, view: Any, screenshot: bytes | None, has_file: bool, index: int, problems: dict[str, Any]
) -> dict[str, Any]:
    """The viewer's part of point `index`: it must name a file; the view and PNG are checked
    (problems by field, as the form shows them)."""
    if not has_file:
        problems[f"points.{index}.file"] = ["Choose the image this point is about."]
    row: dict[str, Any] = {}
    if view is not None:
        cleaned = clean_view(view)
        if cleaned is None:
            problems[f"points.{index}.image_view"] = [NOT_A_VIEW]
        row["image_view"] = cleaned or {}
    if screenshot:
        problem = screenshot_problem(screenshot)
        if problem:
            problems[f"points.{index}.screenshot"] = [problem]
        row["screenshot"] = screenshot
    return row


def store_screenshots(*, submission_id: Any, points: list[dict[str, Any]]) -> list[str]:
    """Write each checked point's screenshot under a new key (in place: `screenshot` becomes
    `screenshot_key` and `screenshot_bytes`); returns the keys written."""
    stored = []
    for point in points:
        data = point.pop("screenshot", None)
        if data:
            point["screenshot_key"] = store_screenshot(submission_id=submission_id, data=data)
            point["screenshot_bytes"] = len(data)
            stored.append(point["screenshot_key"])
    return stored
