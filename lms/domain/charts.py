"""Server-rendered SVG charts for the item analysis: plain strings, no JavaScript.

``histogram_svg`` draws a score histogram (`item_analysis.Bin`s or
``(low, high, count)`` triples); ``scatter_svg`` draws facility against
discrimination with the flag zones shaded. Every label comes in as an argument,
already translated (this package does not import Babel), and every piece of
text is escaped, so a label ``<script>`` stays text. The charts carry a
``<title>`` and ``<desc>`` referenced by ``aria-labelledby`` (``role="img"``),
and each bar or point has its own ``<title>``, which browsers show on hover and
screen readers read.

There are no ``style`` attributes (the CSP forbids them): shapes carry ``class``
names for the stylesheet (``chart``, ``chart-axis``, ``chart-grid``,
``chart-bar``, ``chart-zone``, ``chart-point``, ``chart-point flagged``,
``chart-label``) and presentation attributes (``fill``, ``stroke``,
``font-size``, ``text-anchor``) with sober defaults, which any stylesheet rule
overrides. The SVG scales with its container (``viewBox``, no fixed size).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from html import escape

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

# the plot area inside the viewBox: left, top, right, bottom margins
_MARGIN = (56, 16, 16, 48)


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _tick(value: float) -> str:
    return f"{value:g}"


def _open(id_prefix: str, title: str, description: str, width: int, height: int,
          kind: str) -> list[str]:
    if not _ID.fullmatch(id_prefix):
        raise ValueError("id_prefix must be a letter followed by letters, digits, - or _")
    described = f" {id_prefix}-desc" if description else ""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" '
           f'viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{id_prefix}-title{described}">',
           f'<title id="{id_prefix}-title">{_text(title)}</title>']
    if description:
        out.append(f'<desc id="{id_prefix}-desc">{_text(description)}</desc>')
    return out


def _axis_labels(x_label: str, y_label: str, width: int, height: int) -> list[str]:
    left, top, right, bottom = _MARGIN
    middle_x = (left + width - right) / 2
    middle_y = (top + height - bottom) / 2
    return [f'<text class="chart-label" x="{_num(middle_x)}" y="{height - 8}" '
            f'text-anchor="middle" font-size="12" fill="currentColor">{_text(x_label)}</text>',
            f'<text class="chart-label" x="14" y="{_num(middle_y)}" text-anchor="middle" '
            f'font-size="12" fill="currentColor" transform="rotate(-90 14 {_num(middle_y)})">'
            f'{_text(y_label)}</text>']


def _count_ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``top``, at most about six of them."""
    if top <= 0:
        return [0, 1]
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def histogram_svg(bins: Iterable, *, title: str, x_label: str, y_label: str,
                  description: str = "", bar_titles: Sequence[str] | None = None,
                  id_prefix: str = "histogram", width: int = 480, height: int = 280) -> str:
    """A bar per bin; ``bins`` are `Bin`s or ``(low, high, count)`` triples.

    Each bar's ``<title>`` is ``bar_titles[k]`` when given, else
    ``"low–high: count"``. The x axis is labelled at the bin edges, the y axis
    in whole counts.
    """
    rows = [(b.low, b.high, b.count) if hasattr(b, "low") else tuple(b) for b in bins]
    if bar_titles is not None and len(bar_titles) != len(rows):
        raise ValueError("bar_titles must have one title per bin")
    left, top, right, bottom = _MARGIN
    plot_w = width - left - right
    plot_h = height - top - bottom
    ticks = _count_ticks(max((count for _, _, count in rows), default=0))
    scale = plot_h / ticks[-1]
    out = _open(id_prefix, title, description, width, height, "chart-histogram")
    for value in ticks:
        y = top + plot_h - value * scale
        out.append(f'<line class="chart-grid" x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" '
                   f'y2="{_num(y)}" stroke="#d0d0d0" stroke-width="1"/>')
        out.append(f'<text class="chart-tick" x="{left - 6}" y="{_num(y + 4)}" '
                   f'text-anchor="end" font-size="11" fill="currentColor">{value}</text>')
    slot = plot_w / len(rows) if rows else plot_w
    for k, (low, high, count) in enumerate(rows):
        x = left + k * slot
        bar_h = count * scale
        label = bar_titles[k] if bar_titles is not None else f"{_tick(low)}–{_tick(high)}: {count}"
        out.append(f'<rect class="chart-bar" x="{_num(x + 1)}" y="{_num(top + plot_h - bar_h)}" '
                   f'width="{_num(max(slot - 2, 1))}" height="{_num(bar_h)}" fill="#4e79a7">'
                   f'<title>{_text(label)}</title></rect>')
    edges = [row[0] for row in rows] + ([rows[-1][1]] if rows else [])
    for k, edge in enumerate(edges):
        x = left + k * slot
        out.append(f'<text class="chart-tick" x="{_num(x)}" y="{top + plot_h + 16}" '
                   f'text-anchor="middle" font-size="11" fill="currentColor">'
                   f'{_text(_tick(edge))}</text>')
    out.append(f'<line class="chart-axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
               f'y2="{top + plot_h}" stroke="currentColor" stroke-width="1"/>')
    out.append(f'<line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" '
               f'y2="{top + plot_h}" stroke="currentColor" stroke-width="1"/>')
    out += _axis_labels(x_label, y_label, width, height)
    out.append("</svg>")
    return "\n".join(out)


def scatter_svg(points: Iterable[tuple[float | None, float | None, str]], *, title: str,
                x_label: str, y_label: str, description: str = "", zone_title: str = "",
                too_hard: float = 0.2, too_easy: float = 0.95, low_discrimination: float = 0.2,
                id_prefix: str = "scatter", width: int = 480, height: int = 360) -> str:
    """Facility (x, 0…1) against discrimination (y, −1…1), one circle per item.

    ``points`` are ``(facility, discrimination, label)``; a point with either
    value None cannot be placed and is left out. The flag zones (p < too_hard,
    p > too_easy, D < low_discrimination) are shaded, with ``zone_title`` as
    their ``<title>``; a point in a zone gets the class ``flagged`` (and a
    darker fill). Values outside the axes are drawn at the edge. Each circle's
    ``<title>`` is its label followed by ``(p, D)`` to two decimals.
    """
    left, top, right, bottom = _MARGIN
    plot_w = width - left - right
    plot_h = height - top - bottom

    def x_of(p: float) -> float:
        return left + min(max(p, 0.0), 1.0) * plot_w

    def y_of(d: float) -> float:
        return top + (1 - (min(max(d, -1.0), 1.0) + 1) / 2) * plot_h

    out = _open(id_prefix, title, description, width, height, "chart-scatter")
    zone = f"<title>{_text(zone_title)}</title>" if zone_title else ""
    zones = [(0.0, too_hard, -1.0, 1.0), (too_easy, 1.0, -1.0, 1.0),
             (0.0, 1.0, -1.0, low_discrimination)]
    for p0, p1, d0, d1 in zones:
        out.append(f'<rect class="chart-zone" x="{_num(x_of(p0))}" y="{_num(y_of(d1))}" '
                   f'width="{_num(x_of(p1) - x_of(p0))}" height="{_num(y_of(d0) - y_of(d1))}" '
                   f'fill="#f28e2b" fill-opacity="0.12">{zone}</rect>')
    for k in range(11):
        p = k / 10
        out.append(f'<text class="chart-tick" x="{_num(x_of(p))}" y="{top + plot_h + 16}" '
                   f'text-anchor="middle" font-size="11" fill="currentColor">{_tick(p)}</text>')
    for k in range(-5, 6):
        d = k / 5
        y = y_of(d)
        out.append(f'<line class="chart-grid" x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" '
                   f'y2="{_num(y)}" stroke="#d0d0d0" stroke-width="1"/>')
        out.append(f'<text class="chart-tick" x="{left - 6}" y="{_num(y + 4)}" '
                   f'text-anchor="end" font-size="11" fill="currentColor">{_tick(d)}</text>')
    out.append(f'<line class="chart-axis" x1="{left}" y1="{_num(y_of(0))}" '
               f'x2="{left + plot_w}" y2="{_num(y_of(0))}" stroke="currentColor" '
               f'stroke-width="1"/>')
    out.append(f'<line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" '
               f'y2="{top + plot_h}" stroke="currentColor" stroke-width="1"/>')
    for p, d, label in points:
        if p is None or d is None:
            continue
        flagged = p < too_hard or p > too_easy or d < low_discrimination
        kind, fill = ("chart-point flagged", "#c0392b") if flagged else ("chart-point", "#4e79a7")
        out.append(f'<circle class="{kind}" cx="{_num(x_of(p))}" cy="{_num(y_of(d))}" r="4" '
                   f'fill="{fill}" fill-opacity="0.8">'
                   f'<title>{_text(label)} ({p:.2f}, {d:.2f})</title></circle>')
    out += _axis_labels(x_label, y_label, width, height)
    out.append("</svg>")
    return "\n".join(out)
