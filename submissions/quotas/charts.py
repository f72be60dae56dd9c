"""Server-rendered SVG charts: no JavaScript, no CDN, readable by screen readers.

Each chart is an `<svg role="img">` with a title and a one-sentence description; templates
put the same numbers in a table next to it (the fallback for people and tools that cannot
read a chart). Lines differ by colour (Okabe-Ito, safe for colour blindness) and by dash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import count

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from submissions.core.units import format_bytes

PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "6 3", "2 3", "8 3 2 3"]
_ids = count(1)


@dataclass(frozen=True)
class Line:
    label: str
    points: Sequence[tuple[date, int]]
    color: str = ""
    dash: str = ""


def _nice_max(value: int) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value  # pragma: no cover


def styled(lines: Sequence[tuple[str, Sequence[tuple[date, int]]]]) -> list[Line]:
    return [
        Line(label, points, PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)])
        for i, (label, points) in enumerate(lines)
    ]


def line_chart(
    *,
    title: str,
    lines: Sequence[Line],
    limit: int | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Bytes over days, one line per series; an optional dashed red line at a limit."""
    chart_id = f"chart-{next(_ids)}"
    left, right, top, bottom = 78, 12, 12, 28
    days = sorted({day for line in lines for day, _ in line.points})
    if not days:
        return format_html('<p class="chart-empty">{}: no usage recorded yet.</p>', title)
    peak = max([v for line in lines for _, v in line.points] + [limit or 0])
    y_max = _nice_max(peak)
    first, last = days[0], days[-1]
    span = max(1, (last - first).days)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        if first == last:
            return left + plot_w / 2
        return left + plot_w * (day - first).days / span

    def y(value: int) -> float:
        return top + plot_h * (1 - value / y_max)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(_describe(lines, first, last))}</desc>',
    ]
    for i in range(5):
        value = y_max * i // 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(format_bytes(value))}</text>"
        )
    for day in sorted({first, last}):
        anchor = "start" if day == first and first != last else "end"
        if first == last:
            anchor = "middle"
        parts.append(
            f'<text x="{x(day):.1f}" y="{height - 8}" text-anchor="{anchor}" class="tick">'
            f"{day:%d %b %Y}</text>"
        )
    if limit is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(limit):.1f}" y2="{y(limit):.1f}" '
            'class="limit"/>'
            f'<text x="{width - right - 4}" y="{y(limit) - 4:.1f}" text-anchor="end" '
            f'class="tick limit-label">limit {escape(format_bytes(limit))}</text>'
        )
    for line in lines:
        points = sorted(line.points)
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        if len(points) == 1:
            day, value = points[0]
            parts.append(
                f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="4" fill="{line.color}"/>'
            )
            continue
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{line.color}" stroke-width="2.5"'
            f"{dash}/>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped


def _describe(lines: Sequence[Line], first: date, last: date) -> str:
    latest = ", ".join(
        f"{line.label} {format_bytes(sorted(line.points)[-1][1])}" for line in lines if line.points
    )
    return f"From {first:%d %B %Y} to {last:%d %B %Y}. Latest: {latest}."


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    stacks: Sequence[tuple[str, Sequence[int]]],
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Stacked bars, one per label (e.g. bytes added per month, staging and archive)."""
    chart_id = f"chart-{next(_ids)}"
    left, right, top, bottom = 78, 12, 12, 28
    totals = [sum(values[i] for _, values in stacks) for i in range(len(labels))]
    y_max = _nice_max(max(totals, default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(1, len(labels))
    described = "; ".join(
        f"{label}: {format_bytes(total)}" for label, total in zip(labels, totals, strict=True)
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(described)}</desc>',
    ]
    for i in range(5):
        value = y_max * i // 4
        y = top + plot_h * (1 - value / y_max)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(format_bytes(value))}</text>"
        )
    for index, label in enumerate(labels):
        base: float = top + plot_h
        x = left + slot * index + slot * 0.15
        for stack_index, (_name, values) in enumerate(stacks):
            h = plot_h * values[index] / y_max
            base -= h
            color = PALETTE[stack_index % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{color}"/>'
            )
        if len(labels) <= 12 or index % 2 == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - 8}" text-anchor="middle" '
                f'class="tick">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped
