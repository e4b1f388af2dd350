"""Draw a cluster status board (units × items, coloured cells) as a PNG picture."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS_SUM",
    "PALETTE",
    "Cell",
    "Grid",
    "Tone",
    "render_grid_png",
    "strip_unsupported",
]

Tone = Literal["good", "warn", "bad", "none"]

# Telegram's sendPhoto limits: ≤ 10 MB, width + height ≤ 10000 px, aspect ratio ≤ 20.
MAX_BYTES = 10_000_000
MAX_PIXELS_SUM = 10_000
MAX_ASPECT = 20.0

# (fill, text) per tone: light Material-100 fills with dark text of the same hue, so
# every pairing stays readable and the tones still differ in greyscale by their words.
PALETTE: dict[Tone, tuple[str, str]] = {
    "good": ("#c8e6c9", "#1b5e20"),
    "warn": ("#ffe0b2", "#8a4b00"),
    "bad": ("#ffcdd2", "#b71c1c"),
    "none": ("#eceff1", "#546e7a"),
}
_INK = "#263238"
_MUTED = "#607d8b"
_STRIPE = "#f4f6f7"
_RULE = "#b0bec5"

# Layout in points (1/72 in); the figure's axes map one data unit to one point.
_DPI = 150.0
_PAD = 16.0
_GAP = 2.0  # white gutter between cells
_TITLE_SIZE = 14.0
_HEADER_SIZE = 9.0
_UNIT_SIZE = 10.0
_CELL_SIZE = 9.0
_LEGEND_SIZE = 9.0
_ROW_H = 22.0
_COL_MIN, _COL_MAX = 72.0, 116.0
_UNIT_MIN, _UNIT_MAX = 44.0, 130.0
_HEADER_LINES = 3
_TITLE_LINES = 2
_MIN_WIDTH = 340.0
_MAX_TITLE_WIDTH = 640.0
_LINE = 1.25  # line height as a multiple of the font size
_SWATCH = 10.0
_ELLIPSIS = "…"


@dataclass(frozen=True)
class Cell:
    """One unit's state for one item: a tone for the fill and a short word."""

    tone: Tone
    text: str


@dataclass(frozen=True)
class Grid:
    """A status board: `cells[r][c]` is unit `rows[r]` on item `columns[c]`.

    With no columns, only `title` and `empty_text` are drawn (no legend).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    legend: tuple[tuple[Tone, str], ...]
    empty_text: str = ""


def _font_path(bold: bool) -> Path:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(matplotlib.get_data_path(), "fonts", "ttf", name)


@cache
def _supported_codepoints() -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    # Text is drawn in both weights, so only glyphs present in both are safe.
    regular, bold = (set(FT2Font(str(_font_path(b))).get_charmap()) for b in (False, True))
    return frozenset(regular & bold)


def strip_unsupported(text: str) -> str:
    """Drop characters DejaVu Sans cannot draw (emoji, controls) and tidy the spaces."""
    supported = _supported_codepoints()
    # NFC first: decomposed Vietnamese (e.g. pasted from Word on macOS) becomes the
    # precomposed letters the font has, instead of loosely stacked combining marks.
    kept = [
        " " if ch.isspace() else ch  # tabs and newlines separate words, like spaces
        for ch in unicodedata.normalize("NFC", text)
        if ch.isspace()
        or (
            ord(ch) in supported
            and not unicodedata.category(ch).startswith("C")
            and not 0xFE00 <= ord(ch) <= 0xFE0F  # variation selectors left behind by emoji
        )
    ]
    return " ".join("".join(kept).split())


def _fit(text: str, width: float, measure: Callable[[str], float], *, cut: bool = False) -> str:
    """Return `text` (unless `cut`), or its longest prefix plus "…" that fits in `width`."""
    if not cut and measure(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix whose ellipsized form fits
        mid = (lo + hi + 1) // 2
        if measure(text[:mid].rstrip() + _ELLIPSIS) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + _ELLIPSIS if lo else _ELLIPSIS


def _split_word(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    # A word wider than the column (a long code, a URL) is broken between characters.
    pieces: list[str] = []
    while word:
        n = 1
        while n < len(word) and measure(word[: n + 1]) <= width:
            n += 1
        pieces.append(word[:n])
        word = word[n:]
    return pieces


def _wrap(text: str, width: float, max_lines: int, measure: Callable[[str], float]) -> list[str]:
    """Greedily wrap `text` to `width`; beyond `max_lines` the last line ends in "…"."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _split_word(word, width, measure)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines
    head = lines[: max_lines - 1]
    return [*head, _fit(" ".join(lines[max_lines - 1 :]), width, measure, cut=True)]


def _check_shape(grid: Grid) -> None:
    if len(grid.cells) != len(grid.rows):
        raise ValueError(f"grid has {len(grid.rows)} rows but {len(grid.cells)} rows of cells")
    for code, row in zip(grid.rows, grid.cells, strict=True):
        if len(row) != len(grid.columns):
            raise ValueError(f"row {code!r} has {len(row)} cells for {len(grid.columns)} columns")


class _Fonts:
    """The two DejaVu weights at the board's sizes, plus a cached width measurer."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.font_manager import FontProperties

        self._regular = _font_path(bold=False)
        self._bold = _font_path(bold=True)
        self._props: dict[tuple[bool, float], FontProperties] = {}
        self._widths: dict[tuple[str, bool, float], float] = {}
        self._make = FontProperties
        # The Agg renderer measures text exactly as it will be drawn (hinting included).
        canvas = FigureCanvasAgg(Figure(dpi=_DPI))
        self._renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]  # untyped stub

    def prop(self, size: float, bold: bool = False) -> FontProperties:
        key = (bold, size)
        if key not in self._props:
            self._props[key] = self._make(fname=self._bold if bold else self._regular, size=size)
        return self._props[key]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, bold, size)
        if key not in self._widths:
            w, _, _ = self._renderer.get_text_width_height_descent(
                text, self.prop(size, bold), ismath=False
            )
            # Renderer pixels → points, with a little slack for hinting at other DPIs.
            self._widths[key] = w * 72.0 / _DPI * 1.04
        return self._widths[key]

    def measurer(self, size: float, bold: bool = False) -> Callable[[str], float]:
        return lambda text: self.width(text, size, bold)


@dataclass(frozen=True)
class _Layout:
    width: float
    height: float
    title: list[str]
    top: float  # y of the first line under the title
    x0: float  # left edge of the table
    unit_w: float
    col_ws: list[float]
    headers: list[list[str]]
    header_h: float
    units: list[str]
    cells: list[list[tuple[Tone, str]]]
    body: list[str]  # empty-board text lines
    legend: list[list[tuple[Tone, str, float]]]  # rows of (tone, label, x offset)


def _column_width(header: str, cells: list[str], fonts: _Fonts) -> tuple[float, list[str]]:
    cell_w = max((fonts.width(t, _CELL_SIZE) for t in cells if t), default=0.0) + 12
    header_m = fonts.measurer(_HEADER_SIZE, bold=True)
    width = min(max(_COL_MIN, cell_w), _COL_MAX)
    # Widen step by step until the header fits in three lines, up to the cap.
    while width < _COL_MAX and len(_wrap(header, width - 8, 99, header_m)) > _HEADER_LINES:
        width = min(width + 8, _COL_MAX)
    return width, _wrap(header, width - 8, _HEADER_LINES, header_m)


def _layout(grid: Grid, fonts: _Fonts) -> _Layout:
    columns = [strip_unsupported(c) for c in grid.columns]
    rows = [strip_unsupported(r) for r in grid.rows]
    texts = [[strip_unsupported(c.text) for c in row] for row in grid.cells]

    col_ws: list[float] = []
    headers: list[list[str]] = []
    for j, header in enumerate(columns):
        w, lines = _column_width(header, [row[j] for row in texts], fonts)
        col_ws.append(w)
        headers.append(lines)
    widest_unit = max((fonts.width(r, _UNIT_SIZE, bold=True) for r in rows), default=0.0)
    unit_w = min(max(_UNIT_MIN, widest_unit + 14), _UNIT_MAX)
    table_w = (unit_w + sum(col_ws)) if columns else 0.0

    title = strip_unsupported(grid.title)
    title_w = fonts.width(title, _TITLE_SIZE, bold=True)
    width = max(_MIN_WIDTH, table_w + 2 * _PAD, min(title_w + 2 * _PAD, _MAX_TITLE_WIDTH))
    inner = width - 2 * _PAD
    title_lines = _wrap(title, inner, _TITLE_LINES, fonts.measurer(_TITLE_SIZE, bold=True))
    top = _PAD + len(title_lines) * _TITLE_SIZE * _LINE + 10

    cell_m = fonts.measurer(_CELL_SIZE)
    unit_m = fonts.measurer(_UNIT_SIZE, bold=True)
    units = [_fit(r, unit_w - 12, unit_m) for r in rows]
    cells = [
        [(cell.tone, _fit(t, w - 8, cell_m)) for cell, t, w in zip(row, trow, col_ws, strict=True)]
        for row, trow in zip(grid.cells, texts, strict=True)
    ]
    # matplotlib spaces lines by 1.25 × the font's own line height (≈ 1.17 em for DejaVu),
    # which leaves room for stacked Vietnamese marks such as "ở" under a descender.
    header_h = max((len(h) for h in headers), default=1) * _HEADER_SIZE * 1.5 + 12

    body: list[str] = []
    legend: list[list[tuple[Tone, str, float]]] = []
    if columns:
        height = top + header_h + len(rows) * _ROW_H
        legend_m = fonts.measurer(_LEGEND_SIZE)
        line: list[tuple[Tone, str, float]] = []
        x = 0.0
        for tone, raw in grid.legend:
            label = _fit(strip_unsupported(raw), inner - _SWATCH - 5, legend_m)
            item_w = _SWATCH + 5 + legend_m(label)
            if line and x + item_w > inner:  # flow onto the next legend line
                legend.append(line)
                line, x = [], 0.0
            line.append((tone, label, x))
            x += item_w + 16
        if line:
            legend.append(line)
        if legend:
            height += 12 + len(legend) * _LEGEND_SIZE * 1.8
    else:
        body = _wrap(strip_unsupported(grid.empty_text), inner, 6, fonts.measurer(11.0))
        height = top + 8 + len(body) * 11.0 * _LINE
    height += _PAD

    # Keep Telegram's aspect-ratio rule by padding the short side.
    width = max(width, height / (MAX_ASPECT - 0.5))
    height = max(height, width / (MAX_ASPECT - 0.5))
    return _Layout(
        width=width,
        height=height,
        title=title_lines,
        top=top,
        x0=(width - table_w) / 2,
        unit_w=unit_w,
        col_ws=col_ws,
        headers=headers,
        header_h=header_h,
        units=units,
        cells=cells,
        body=body,
        legend=legend,
    )


def _box(
    boxes: list[Patch],
    rect: tuple[float, float, float, float],
    color: str,
    *,
    rounded: bool = True,
) -> None:
    from matplotlib.patches import FancyBboxPatch

    x, y, w, h = rect
    style = "round,pad=0,rounding_size=2.5" if rounded else "square,pad=0"
    boxes.append(
        FancyBboxPatch((x, y), w, h, boxstyle=style, facecolor=color, edgecolor="none", lw=0)
    )


def _label(
    ax: Axes,
    xy: tuple[float, float],
    text: str,
    prop: FontProperties,
    color: str,
    ha: Literal["left", "center"] = "center",
    va: Literal["top", "bottom", "center_baseline"] = "center_baseline",
) -> None:
    # parse_math=False: a "$" in a unit's text must not switch to mathtext.
    ax.text(
        *xy,
        text,
        fontproperties=prop,
        color=color,
        ha=ha,
        va=va,
        multialignment="center",
        linespacing=1.25,
        parse_math=False,
    )


def _draw(ax: Axes, lay: _Layout, fonts: _Fonts) -> None:
    from matplotlib.collections import PatchCollection

    title = fonts.prop(_TITLE_SIZE, bold=True)
    for i, line in enumerate(lay.title):
        _label(ax, (lay.width / 2, _PAD + i * _TITLE_SIZE * _LINE), line, title, _INK, va="top")
    if not lay.col_ws:
        body = fonts.prop(11.0)
        for i, line in enumerate(lay.body):
            xy = (lay.width / 2, lay.top + 8 + i * 11.0 * _LINE)
            _label(ax, xy, line, body, _MUTED, va="top")
        return

    # Column headers sit bottom-aligned on a rule, so short titles stay next to the cells.
    header = fonts.prop(_HEADER_SIZE, bold=True)
    x = lay.x0 + lay.unit_w
    for w, lines in zip(lay.col_ws, lay.headers, strict=True):
        xy = (x + w / 2, lay.top + lay.header_h - 7)
        _label(ax, xy, "\n".join(lines), header, _INK, va="bottom")
        x += w
    table_w = lay.unit_w + sum(lay.col_ws)
    rule_y = lay.top + lay.header_h - 1
    ax.plot([lay.x0, lay.x0 + table_w], [rule_y, rule_y], color=_RULE, linewidth=0.8)

    unit, cell = fonts.prop(_UNIT_SIZE, bold=True), fonts.prop(_CELL_SIZE)
    boxes: list[Patch] = []  # one collection draws far faster than 300 single patches
    y = lay.top + lay.header_h
    for i, (code, row) in enumerate(zip(lay.units, lay.cells, strict=True)):
        if i % 2:  # zebra band: the eye follows one unit across eight columns
            _box(boxes, (lay.x0, y, table_w, _ROW_H), _STRIPE, rounded=False)
        _label(ax, (lay.x0 + 6, y + _ROW_H / 2), code, unit, _INK, ha="left")
        x = lay.x0 + lay.unit_w
        for (tone, text), w in zip(row, lay.col_ws, strict=True):
            fill, ink = PALETTE[tone]
            _box(boxes, (x + _GAP / 2, y + _GAP / 2, w - _GAP, _ROW_H - _GAP), fill)
            if text:
                _label(ax, (x + w / 2, y + _ROW_H / 2), text, cell, ink)
            x += w
        y += _ROW_H

    legend = fonts.prop(_LEGEND_SIZE)
    y += 12
    for entries in lay.legend:
        _, last, last_dx = entries[-1]
        line_w = last_dx + _SWATCH + 5 + fonts.width(last, _LEGEND_SIZE)
        x0 = (lay.width - line_w) / 2
        mid = y + _LEGEND_SIZE * 0.9
        for tone, text, dx in entries:
            _box(boxes, (x0 + dx, mid - _SWATCH / 2, _SWATCH, _SWATCH), PALETTE[tone][0])
            _label(ax, (x0 + dx + _SWATCH + 5, mid), text, legend, _INK, ha="left")
        y += _LEGEND_SIZE * 1.8
    # In list order: each zebra band lies under the cells of its row.
    ax.add_collection(PatchCollection(boxes, match_original=True), autolim=False)


def render_grid_png(grid: Grid) -> bytes:
    """Draw `grid` as a PNG within Telegram's photo limits; same input, same bytes."""
    # matplotlib is imported here, not at module level: the idle bot never pays for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _check_shape(grid)
    fonts = _Fonts()
    lay = _layout(grid, fonts)
    w_in, h_in = lay.width / 72, lay.height / 72
    # Shrink the resolution, never the layout, when a huge board would break the caps.
    dpi = min(_DPI, (MAX_PIXELS_SUM - 200) / (w_in + h_in))
    while True:
        fig = Figure(figsize=(w_in, h_in), dpi=dpi, facecolor="white")
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(0, lay.width)
        ax.set_ylim(lay.height, 0)  # y grows downwards, like reading the board
        _draw(ax, lay, fonts)
        out = BytesIO()
        fig.savefig(out, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
        png = out.getvalue()
        if len(png) <= MAX_BYTES or dpi < 20:
            return png
        dpi *= 0.7
