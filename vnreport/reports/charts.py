"""Charts as inline SVG strings: the pages must open from disk with no network and no script.

A handful of chart shapes is all the run report needs (lines over time, bars with a plan
marker, a scatter with a diagonal, horizontal bars), so they are drawn here directly instead
of shipping a charting runtime. Every text that reaches the SVG goes through `esc`.
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

FONT = "font-family:system-ui,sans-serif"
INK = "#333"
GRID = "#e3e3e3"
ACCENT = "#2b6cb0"
ALERT = "#c53030"


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def color_for(key: str) -> str:
    """A stable color per metric name, so a metric looks the same on every page and night."""
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)
    hue = digest % 360
    return f"hsl({hue}, 70%, 78%)"


def fmt_num(value: float | None, decimals: int = 0) -> str:
    """Vietnamese grouping (1.250; 46,7), the way the articles write numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if decimals == 0 or abs(value - round(value)) < 1e-9:
        return f"{round(value):,}".replace(",", ".")
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_short(value: float) -> str:
    """Axis labels: 8,0 nghìn / 6,7 nghìn tỷ would crowd; use k/M/B/T."""
    a = abs(value)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{value / div:.3g}{suffix}"
    return f"{value:.3g}"


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 0.5:
        ticks.append(round(t, 10))
        t += step
    return ticks


def fmt_axis(value: float) -> str:
    return fmt_short(value) if abs(value) >= 1e6 else fmt_num(value, 1)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str = ""  # shown next to the point
    title: str = ""  # hover text
    href: str | None = None
    flag: bool = False  # drawn in the alert color and labelled


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{esc(title)}" '
        f'style="{FONT};font-size:11px">'
    )


def _link(inner: str, href: str | None) -> str:
    return f'<a href="{esc(href)}">{inner}</a>' if href else inner


def figure(chart_id: str, title: str, svg: str, caption: str = "") -> str:
    cap = f"<p class='caption'>{esc(caption)}</p>" if caption else ""
    return (
        f'<figure class="chart" id="chart-{esc(chart_id)}" data-chart="{esc(chart_id)}">'
        f"<figcaption>{esc(title)}</figcaption>{svg}{cap}</figure>"
    )


def empty_svg(message: str, width: int = 360, height: int = 80) -> str:
    return (
        _svg_open(width, height, message)
        + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777">'
        f"{esc(message)}</text></svg>"
    )


def line_panel(
    title: str,
    points: Sequence[Point],
    *,
    x_labels: Sequence[tuple[float, str]] = (),
    width: int = 300,
    height: int = 170,
    y_zero: bool = False,
    y_fmt=None,
    y_domain: tuple[float, float] | None = None,
) -> str:
    """One series over an ordered x (dates as ordinals, or run numbers); points keep their links."""
    if not points:
        return empty_svg(f"{title}: no data", width, 60)
    y_fmt = y_fmt or fmt_axis
    left, right, top, bottom = 50, 34, 22, 30
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y_domain:
        y0, y1 = y_domain
    else:
        y0, y1 = (0 if y_zero else min(ys)), max(ys)
        pad = (y1 - y0) * 0.15 or max(abs(y1) * 0.1, 1)
        y0, y1 = (y0 if y_zero else y0 - pad), y1 + pad
    ticks = [t for t in nice_ticks(y0, y1) if y0 <= t <= y1]

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom)

    parts = [_svg_open(width, height, title)]
    parts.append(f'<text x="4" y="14" font-weight="600" fill="{INK}">{esc(title)}</text>')
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 4}" y="{sy(t) + 3:.1f}" text-anchor="end" '
            f'fill="#666">{esc(y_fmt(t))}</text>'
        )
    for x, lab in x_labels:
        parts.append(
            f'<text x="{sx(x):.1f}" y="{height - 10}" text-anchor="middle" fill="#666">'
            f"{esc(lab)}</text>"
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{sx(p.x):.1f},{sy(p.y):.1f}" for i, p in enumerate(points)
    )
    parts.append(f'<path d="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for p in points:
        color = ALERT if p.flag else ACCENT
        dot = (
            f'<circle class="mark" cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="4" fill="{color}">'
            f"<title>{esc(p.title)}</title></circle>"
        )
        if p.label:
            dot += (
                f'<text x="{sx(p.x):.1f}" y="{sy(p.y) - 8:.1f}" text-anchor="middle" '
                f'fill="{INK}">{esc(p.label)}</text>'
            )
        parts.append(_link(dot, p.href))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    plan: float | None = None
    title: str = ""
    href: str | None = None
    note: str = ""  # printed at the bar's end


def plan_bars(title: str, bars: Sequence[Bar], *, width: int = 300, height: int = 170) -> str:
    """Vertical bars of what was achieved, with the plan as a dashed outline behind each bar."""
    if not bars:
        return empty_svg(f"{title}: no data", width, 60)
    left, right, top, bottom = 36, 8, 22, 30
    hi = max(max(b.value, b.plan or 0) for b in bars) * 1.2 or 1
    slot = (width - left - right) / len(bars)
    bw = min(34.0, slot * 0.6)

    def sy(y: float) -> float:
        return top + (1 - y / hi) * (height - top - bottom)

    parts = [_svg_open(width, height, title)]
    parts.append(f'<text x="4" y="14" font-weight="600" fill="{INK}">{esc(title)}</text>')
    for t in nice_ticks(0, hi):
        if t <= hi:
            parts.append(
                f'<line x1="{left}" x2="{width - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
                f'stroke="{GRID}"/><text x="{left - 4}" y="{sy(t) + 3:.1f}" '
                f'text-anchor="end" fill="#666">{esc(fmt_short(t))}</text>'
            )
    for i, b in enumerate(bars):
        cx = left + slot * (i + 0.5)
        x = cx - bw / 2
        if b.plan:
            parts.append(
                f'<rect class="plan" x="{x - 3:.1f}" y="{sy(b.plan):.1f}" width="{bw + 6:.1f}" '
                f'height="{sy(0) - sy(b.plan):.1f}" fill="none" stroke="#888" '
                f'stroke-dasharray="3 2"><title>plan {esc(fmt_num(b.plan))}</title></rect>'
            )
        bar = (
            f'<rect class="mark" x="{x:.1f}" y="{sy(b.value):.1f}" width="{bw:.1f}" '
            f'height="{sy(0) - sy(b.value):.1f}" fill="{ACCENT}">'
            f"<title>{esc(b.title)}</title></rect>"
        )
        parts.append(_link(bar, b.href))
        top_y = min(sy(b.value), sy(b.plan) if b.plan else sy(b.value))
        if b.note:
            parts.append(
                f'<text x="{cx:.1f}" y="{top_y - 4:.1f}" text-anchor="middle" fill="{INK}">'
                f"{esc(b.note)}</text>"
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{height - 10}" text-anchor="middle" fill="#666">'
            f"{esc(b.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def scatter_diagonal(
    title: str, points: Sequence[Point], *, width: int = 520, height: int = 420
) -> str:
    """Stated % (y) against X/Y computed (x): agreeing points sit on the diagonal."""
    if not points:
        return empty_svg(f"{title}: no data", width, 60)
    left, right, top, bottom = 50, 16, 16, 40
    hi = max(max(p.x for p in points), max(p.y for p in points)) * 1.08 or 1
    lo = 0.0

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * (width - left - right)

    def sy(y: float) -> float:
        return top + (1 - (y - lo) / (hi - lo)) * (height - top - bottom)

    parts = [_svg_open(width, height, title)]
    for t in nice_ticks(lo, hi, 5):
        if t > hi:
            continue
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 4}" y="{sy(t) + 3:.1f}" text-anchor="end" '
            f'fill="#666">{t:g}%</text>'
            f'<text x="{sx(t):.1f}" y="{height - 22}" text-anchor="middle" fill="#666">'
            f"{t:g}%</text>"
        )
    parts.append(
        f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" '
        f'stroke="#999" stroke-dasharray="4 3"/>'
        f'<text x="{(left + width - right) / 2}" y="{height - 4}" text-anchor="middle" '
        f'fill="{INK}">computed X/Y (%)</text>'
        f'<text transform="translate(12,{(top + height - bottom) / 2}) rotate(-90)" '
        f'text-anchor="middle" fill="{INK}">stated (%)</text>'
    )
    # agreeing points first, so flagged ones are drawn on top
    for p in sorted(points, key=lambda p: p.flag):
        color = ALERT if p.flag else ACCENT
        cls = "mark flagged" if p.flag else "mark"
        dot = (
            f'<circle class="{cls}" cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="{5 if p.flag else 4}"'
            f' fill="{color}" fill-opacity="{1 if p.flag else 0.6}">'
            f"<title>{esc(p.title)}</title></circle>"
        )
        if p.flag and p.label:
            anchor = "end" if sx(p.x) > width * 0.6 else "start"
            dx = -8 if anchor == "end" else 8
            dot += (
                f'<text class="flag-label" x="{sx(p.x) + dx:.1f}" y="{sy(p.y) + 4:.1f}" '
                f'text-anchor="{anchor}" fill="{ALERT}">{esc(p.label)}</text>'
            )
        parts.append(_link(dot, p.href))
    parts.append("</svg>")
    return "".join(parts)


def hbars(
    title: str,
    items: Sequence[tuple[str, float, str]],
    *,
    width: int = 460,
    row: int = 18,
    label_width: int = 190,
) -> str:
    """Horizontal bars (label, value, color) sorted by the caller; counts printed at the end."""
    if not items:
        return empty_svg(f"{title}: no data", width, 60)
    height = row * len(items) + 10
    hi = max(v for _, v, _ in items) or 1
    span = width - label_width - 50
    parts = [_svg_open(width, height, title)]
    for i, (label, value, color) in enumerate(items):
        y = 5 + i * row
        w = max(1.0, value / hi * span)
        parts.append(
            f'<g class="mark"><title>{esc(label)}: {esc(fmt_num(value))}</title>'
            f'<text x="{label_width - 6}" y="{y + row * 0.7:.1f}" text-anchor="end" '
            f'fill="{INK}">{esc(label)}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" '
            f'fill="{color}" stroke="#0003"/>'
            f'<text x="{label_width + w + 4:.1f}" y="{y + row * 0.7:.1f}" fill="#555">'
            f"{esc(fmt_num(value))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
