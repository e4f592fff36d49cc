"""Charts drawn on the server as SVG, each with the numbers it shows as a table.

Pure functions: values in, a `Chart` out. Templates render `chart.svg` (already escaped,
marked safe) and then `{% include "feedback/_chart_table.html" %}` for screen readers and
for anyone who would rather read the numbers. No inline styles or scripts (the CSP forbids
them): colours are SVG presentation attributes, and the classes are styled in portal.css.
"""

from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 180
COLOURS = ("#1565c0", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f")


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the same numbers as a table (caption, header row, rows)."""

    svg: SafeString
    caption: str
    header: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)


def _fmt(value) -> str:
    if value is None:
        return "no data"
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    t = escape(title)
    return mark_safe(  # noqa: S308 -- every text inside is escaped above or below
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    title: str, items: list[tuple[str, float | int | None]], unit: str = "", maximum=None
) -> Chart:
    """Horizontal bars, one per (label, value); None is drawn as "no data"."""
    values = [v for _, v in items if v is not None]
    top = maximum if maximum is not None else (max(values) if values else 0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    body = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR_HEIGHT + GAP)
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.7}" text-anchor="end" '
            f'class="chart-label">{escape(label)}</text>'
        )
        if value is not None:
            w = max(1, round(span * value / top)) if value else 0
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w}" height="{BAR_HEIGHT}" '
                f'fill="{COLOURS[0]}" rx="2"></rect>'
            )
        body.append(
            f'<text x="{LABEL_WIDTH + (w if value else 0) + 6}" y="{y + BAR_HEIGHT * 0.7}" '
            f'class="chart-value">{escape(_fmt(value))}{escape(unit) if value is not None else ""}'
            "</text>"
        )
    height = max(1, len(items)) * (BAR_HEIGHT + GAP)
    rows = [(label, _fmt(value) + (unit if value is not None else "")) for label, value in items]
    return Chart(_svg(WIDTH, height, title, body), title, ("", "value"), rows)


def line_chart(
    title: str, labels: list[str], series: dict[str, list[float | int | None]], unit: str = ""
) -> Chart:
    """One line per series over `labels` (e.g. months); gaps where a value is None."""
    # Room on the right for the last month's label, and above the plot for the legend.
    height, left, bottom, right = 220, 48, 28, 40
    top_pad = 12 + 14 * len(series)
    values = [v for points in series.values() for v in points if v is not None]
    top = max(values) if values else 1
    top = top or 1
    step = (WIDTH - left - right) / max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top_pad + (height - bottom - top_pad) * (1 - v / top)

    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - right}" y2="{height - bottom}" '
        'stroke="#9e9e9e"></line>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" class="chart-value">'
        f"{escape(_fmt(top))}{escape(unit)}</text>",
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" class="chart-value">'
        "0</text>",
    ]
    for i, label in enumerate(labels):
        if len(labels) <= 12 or i % max(1, len(labels) // 12) == 0:
            x, _ = xy(i, 0)
            body.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="chart-label">'
                f"{escape(label)}</text>"
            )
    for n, (name, points) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        body.append(  # the legend, top right
            f'<text x="{WIDTH - right}" y="{14 + 14 * n}" text-anchor="end" '
            f'fill="{colour}" class="chart-label">{escape(name)}</text>'
        )
        segment: list[str] = []
        for i, v in enumerate(points + [None]):
            if v is None:
                if len(segment) > 1:
                    body.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                        f'points="{" ".join(segment)}"></polyline>'
                    )
                segment = []
                continue
            x, y = xy(i, v)
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"></circle>')
    header = ("", *series.keys())
    rows = [
        (label, *(_fmt(points[i]) if i < len(points) else "no data" for points in series.values()))
        for i, label in enumerate(labels)
    ]
    return Chart(_svg(WIDTH, height, title, body), title, header, rows)


def gauge(title: str, share: float | None, threshold: float, verdict: str) -> Chart:
    """A 0–100% bar with the threshold drawn as a line (e.g. the 80% adoption gate)."""
    height, left, span = 64, 10, WIDTH - 20
    body = [f'<rect x="{left}" y="14" width="{span}" height="24" fill="#e0e0e0" rx="3"></rect>']
    if share is not None:
        colour = "#2e7d32" if share >= threshold else "#f9a825"
        body.append(
            f'<rect x="{left}" y="14" width="{round(span * share)}" height="24" '
            f'fill="{colour}" rx="3"></rect>'
        )
    x = left + round(span * threshold)
    body += [
        f'<line x1="{x}" y1="6" x2="{x}" y2="46" stroke="#212121" stroke-width="2"></line>',
        f'<text x="{x}" y="60" text-anchor="middle" class="chart-label">'
        f"{round(threshold * 100)}%</text>",
    ]
    shown = "no data" if share is None else f"{round(share * 100)}%"
    rows = [("share", shown), ("line", f"{round(threshold * 100)}%"), ("verdict", verdict)]
    return Chart(_svg(WIDTH, height, f"{title}: {shown}", body), title, ("", "value"), rows)
