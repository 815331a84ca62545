"""Charts as server-rendered SVG (no chart library, no script): a bar chart for figures over
time and horizontal bars for rankings. They scale to the width they are given (a 390 px
phone or the counter) through the viewBox; each chart and bar carries a <title> that screen
readers read and pointers show. Values are ints (fen or counts); ``text`` is how a value
is written on the chart.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 360          # viewBox units; the SVG itself is width 100%
FONT = 11


def _svg(height: int, title: str, body: list[str], cls: str) -> Markup:
    return Markup(
        f'<svg class="chart {cls}" viewBox="0 0 {WIDTH} {height}" width="100%" role="img"'
        f' xmlns="http://www.w3.org/2000/svg" font-size="{FONT}"'
        f' preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>")


def bar_chart(points: list[tuple[str, int, str]], title: str, height: int = 180) -> Markup:
    """Vertical bars, one per (label, value, text), left to right in time order. Negative
    values (a day of refunds only) hang below the zero line."""
    top, bottom, left = 16, 20, 4
    plot_h = height - top - bottom
    n = max(len(points), 1)
    slot = (WIDTH - 2 * left) / n
    bar_w = max(slot * 0.7, 1)
    high = max([v for _l, v, _t in points] + [0])
    low = min([v for _l, v, _t in points] + [0])
    span = (high - low) or 1
    zero = top + plot_h * high / span
    every = max(1, -(-n // 8))     # at most 8 axis labels: readable on a phone
    body = [f'<line class="axis" x1="{left}" x2="{WIDTH - left}" y1="{zero:.1f}"'
            f' y2="{zero:.1f}" stroke="currentColor" stroke-opacity="0.4"/>']
    for i, (label, value, text) in enumerate(points):
        h = plot_h * abs(value) / span
        x = left + i * slot + (slot - bar_w) / 2
        y = zero - h if value >= 0 else zero
        body.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}"'
                    f' height="{h:.1f}" data-value="{value}"><title>{escape(label)}:'
                    f' {escape(text)}</title></rect>')
        cx = x + bar_w / 2
        if n <= 12 and value:
            ty = y - 3 if value >= 0 else y + h + FONT
            body.append(f'<text class="value" x="{cx:.1f}" y="{ty:.1f}"'
                        f' text-anchor="middle" font-size="{FONT - 2}">{escape(text)}</text>')
        if i % every == 0:
            body.append(f'<text class="label" x="{cx:.1f}" y="{height - 5}"'
                        f' text-anchor="middle">{escape(label)}</text>')
    return _svg(height, title, body, "bars")


def hbar_chart(rows: list[tuple[str, int, str]], title: str) -> Markup:
    """Horizontal bars for a ranking: label on the left, the bar, its value on the right.
    Bars are proportional to the largest value (negative ones are drawn empty)."""
    row_h, label_w, value_w = 24, 118, 74
    height = max(len(rows), 1) * row_h + 4
    room = WIDTH - label_w - value_w - 8
    high = max([v for _l, v, _t in rows] + [1])
    body = []
    for i, (label, value, text) in enumerate(rows):
        y = 2 + i * row_h
        w = room * max(value, 0) / high
        short = label if len(label) <= 9 else label[:8] + "…"
        body.append(f'<text class="label" x="0" y="{y + 16}">{escape(short)}'
                    f'<title>{escape(label)}</title></text>')
        body.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}"'
                    f' height="{row_h - 8}" data-value="{value}"><title>{escape(label)}:'
                    f' {escape(text)}</title></rect>')
        body.append(f'<text class="value" x="{WIDTH}" y="{y + 16}"'
                    f' text-anchor="end">{escape(text)}</text>')
    return _svg(height, title, body, "hbars")
