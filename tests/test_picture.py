"""The status board picture: a valid PNG, coloured where expected, legible, within limits."""

from __future__ import annotations

import io
import subprocess
import sys
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from bot.picture import (
    MAX_BYTES,
    MAX_PIXELS_SUM,
    PALETTE,
    Cell,
    Grid,
    Tone,
    _fit,
    _wrap,
    render_grid_png,
    strip_unsupported,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLE = "Tình hình Cụm thi đua số 1 – 14:05 25/11/2026"
LEGEND: tuple[tuple[Tone, str], ...] = (
    ("good", "Đã xong"),
    ("warn", "Muộn / góp ý"),
    ("bad", "Chưa"),
    ("none", "Không áp dụng"),
)
ITEMS = (
    "Báo cáo tổng kết năm 2022 – Đảng ủy",
    "Bình xét Cờ thi đua",
    "Đăng ký thi đua năm 2026",
    "Họp cụm quý IV",
    "Góp ý dự thảo quy chế hoạt động của Cụm thi đua số 1 năm 2026 (lần 2)",
    "Phiếu bầu trưởng cụm",
    "Xác nhận tham dự hội nghị",
    "Nộp hồ sơ khen thưởng",
)
WORDS: dict[Tone, str] = {
    "good": "đã nộp",
    "warn": "muộn",
    "bad": "chưa trả lời",
    "none": "",
}
TONES: tuple[Tone, ...] = ("good", "warn", "bad", "none")


def board(n_rows: int, n_cols: int, *, legend: tuple[tuple[Tone, str], ...] = LEGEND) -> Grid:
    rows = tuple(f"ĐV{i:02d}" for i in range(n_rows))
    cells = tuple(
        tuple(Cell(TONES[(i + j) % 4], WORDS[TONES[(i + j) % 4]]) for j in range(n_cols))
        for i in range(n_rows)
    )
    columns = tuple(ITEMS[j % len(ITEMS)] for j in range(n_cols))
    return Grid(TITLE, columns, rows, cells, legend)


def decode(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()  # a truncated or corrupt stream fails here, not later
    assert image.format == "PNG"
    return image


def pixels(png: bytes) -> NDArray[np.uint8]:
    return np.asarray(decode(png).convert("RGB"))


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


def centre_of(image: NDArray[np.uint8], tone: Tone) -> tuple[float, float, int]:
    """Return (x, y, count) of the pixels painted exactly in `tone`'s fill colour."""
    mask = np.all(image == rgb(PALETTE[tone][0]), axis=-1)
    ys, xs = np.nonzero(mask)
    return (float(xs.mean()) if len(xs) else -1.0, float(ys.mean()) if len(ys) else -1.0, len(xs))


def render_strict(grid: Grid) -> bytes:
    # Any warning (a missing glyph above all) fails the test.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render_grid_png(grid)


def assert_within_telegram_limits(png: bytes) -> tuple[int, int]:
    width, height = decode(png).size
    assert len(png) <= MAX_BYTES
    assert width + height <= MAX_PIXELS_SUM
    assert max(width, height) / min(width, height) <= 20
    return width, height


def test_render_grid_png_small_board_is_a_readable_png() -> None:
    png = render_strict(board(4, 3))

    width, height = decode(png).size
    # Wide enough for the title and three wrapped headers, short enough to fit a phone.
    assert 600 <= width <= 1600
    assert 250 <= height <= 900


def test_render_grid_png_grows_with_the_number_of_rows() -> None:
    heights = [decode(render_strict(board(n, 3))).size[1] for n in (1, 4, 7)]

    assert heights[0] < heights[1] < heights[2]
    # Every extra unit gets the same row height.
    assert heights[2] - heights[1] == pytest.approx(heights[1] - heights[0], abs=2)


def test_render_grid_png_grows_with_the_number_of_columns() -> None:
    narrow = decode(render_strict(board(4, 3))).size[0]
    wide = decode(render_strict(board(4, 8))).size[0]

    assert wide > narrow


def test_render_grid_png_paints_each_cell_in_its_tone_at_its_place() -> None:
    grid = Grid(
        TITLE,
        ("Báo cáo", "Bình xét"),
        ("VSP", "PVEP"),
        (
            (Cell("good", "✓ v2"), Cell("bad", "chưa nộp")),
            (Cell("warn", "muộn"), Cell("none", "")),
        ),
        legend=(),
    )
    image = pixels(render_strict(grid))

    good, bad, warn, none = (centre_of(image, tone) for tone in ("good", "bad", "warn", "none"))
    for _, _, count in (good, bad, warn, none):
        assert count > 1000  # a whole cell, not a stray antialiased pixel
    # VSP/Báo cáo is top left, VSP/Bình xét top right, PVEP/Báo cáo bottom left.
    assert good[0] < bad[0]
    assert good[1] == pytest.approx(bad[1], abs=1)
    assert good[1] < warn[1]
    assert good[0] == pytest.approx(warn[0], abs=1)
    assert none[0] == pytest.approx(bad[0], abs=1)
    assert none[1] == pytest.approx(warn[1], abs=1)


def test_render_grid_png_only_uses_the_tones_present() -> None:
    grid = Grid(TITLE, ("Bình xét Cờ thi đua",), ("VSP",), ((Cell("good", "đã nộp"),),), legend=())
    image = pixels(render_strict(grid))

    assert centre_of(image, "good")[2] > 1000
    assert centre_of(image, "bad")[2] == 0
    assert centre_of(image, "warn")[2] == 0


def test_render_grid_png_draws_the_legend_under_the_grid() -> None:
    grid = Grid(
        TITLE,
        ("Bình xét Cờ thi đua",),
        ("VSP", "PVEP"),
        ((Cell("good", "đã nộp"),), (Cell("good", "đã nộp"),)),
        legend=(("bad", "Chưa"),),
    )
    image = pixels(render_strict(grid))

    _, cells_y, _ = centre_of(image, "good")
    _, swatch_y, swatch_px = centre_of(image, "bad")
    assert swatch_px > 50  # a small swatch, but a swatch
    assert swatch_y > cells_y + 40


def test_render_grid_png_keeps_40_by_8_legible_within_telegram_limits() -> None:
    png = render_strict(board(40, 8))

    width, height = assert_within_telegram_limits(png)
    # Full resolution, not shrunk to fit: about 45 px per unit row.
    assert width >= 1200
    assert height >= 40 * 40
    image = pixels(png)
    for tone in ("good", "warn", "bad", "none"):
        assert centre_of(image, tone)[2] > 10 * 1000


@pytest.mark.parametrize(("n_rows", "n_cols"), [(300, 1), (1, 60)])
def test_render_grid_png_stays_within_limits_for_extreme_boards(n_rows: int, n_cols: int) -> None:
    assert_within_telegram_limits(render_strict(board(n_rows, n_cols)))


def test_render_grid_png_vietnamese_text_has_every_glyph() -> None:
    grid = Grid(
        "Báo cáo tổng kết năm 2022 – Đảng ủy: Ỹ ỹ Ự ự Ẩ ẩ Ặ ặ Ổ ổ Ờ ờ",
        ("Báo cáo tổng kết năm 2022 – Đảng ủy", "Bình xét Cờ thi đua"),
        ("PVEP", "Tổng công ty Khí Việt Nam"),
        (
            (Cell("good", "đã nộp"), Cell("bad", "chưa trả lời")),
            (Cell("warn", "cần bổ sung"), Cell("none", "không áp dụng")),
        ),
        (("good", "Đã xong"), ("warn", "Muộn / góp ý"), ("bad", "Chưa")),
    )

    decode(render_strict(grid))  # raises on a "Glyph … missing from font" warning


def test_glyph_warnings_are_what_the_strict_renders_would_catch() -> None:
    # Guard for the test above: unsanitised emoji do warn, so silence there means something.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "Đã nộp ✅", family="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("✅ Đã nộp 📄", "Đã nộp"),
        ("✓ v2", "✓ v2"),
        ("👍🏻 có mặt", "có mặt"),
        ("1️⃣ Báo cáo", "1 Báo cáo"),
        ("👨\u200d👩\u200d👧 Gia đình", "Gia đình"),
        ("chưa\ttrả\nlời", "chưa trả lời"),
        ("📊", ""),
        ("Giá $5 – $10 …", "Giá $5 – $10 …"),
    ],
)
def test_strip_unsupported_drops_emoji_and_controls(raw: str, clean: str) -> None:
    assert strip_unsupported(raw) == clean


def test_strip_unsupported_composes_decomposed_vietnamese() -> None:
    decomposed = unicodedata.normalize("NFD", "Bình xét Cờ thi đua – Đảng ủy")

    assert strip_unsupported(decomposed) == "Bình xét Cờ thi đua – Đảng ủy"


def test_render_grid_png_strips_emoji_instead_of_drawing_boxes() -> None:
    plain = board(2, 2)
    with_emoji = Grid(
        "📊 " + plain.title,
        tuple(f"{c} 🗂️" for c in plain.columns),
        plain.rows,
        tuple(tuple(Cell(c.tone, f"{c.text} ✅".strip()) for c in row) for row in plain.cells),
        tuple((tone, f"🟢 {label}") for tone, label in plain.legend),
    )

    # Without a warning, and pixel for pixel what the text without emoji gives.
    assert render_strict(with_emoji) == render_strict(plain)


def test_render_grid_png_draws_dollar_signs_literally() -> None:
    # Unbalanced "$" would make mathtext raise; the board must just print it.
    grid = Grid("Chi phí $5", ("Quỹ $ thi đua",), ("VSP",), ((Cell("warn", "$a$"),),), ())

    decode(render_strict(grid))


def test_render_grid_png_empty_board_shows_the_callers_text() -> None:
    empty = Grid(TITLE, (), (), (), LEGEND, empty_text="Không có việc nào đang mở.")
    silent = Grid(TITLE, (), (), (), LEGEND)

    image = pixels(render_strict(empty))
    without_text = pixels(render_strict(silent))

    assert image.shape[0] < pixels(render_strict(board(1, 1))).shape[0]
    # The sentence adds ink; no cell and no legend swatch is drawn.
    ink = int((image.sum(axis=-1) < 600).sum())
    assert ink > int((without_text.sum(axis=-1) < 600).sum()) + 200
    for tone in ("good", "warn", "bad"):
        assert centre_of(image, tone)[2] == 0


def test_render_grid_png_is_deterministic_and_carries_no_software_stamp() -> None:
    grid = board(6, 4)

    first, second = render_strict(grid), render_strict(grid)

    assert first == second
    assert "Software" not in decode(first).info


def test_render_grid_png_is_the_same_from_parallel_threads() -> None:
    # The bot renders in asyncio.to_thread; no shared pyplot state may leak between calls.
    grids = [board(n, 3) for n in (2, 5, 9, 2)]
    serial = [render_grid_png(g) for g in grids]

    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(render_grid_png, grids))

    assert parallel == serial


def test_render_grid_png_rejects_a_ragged_grid() -> None:
    with pytest.raises(ValueError, match="cells"):
        render_grid_png(Grid(TITLE, ("A", "B"), ("VSP",), ((Cell("good", ""),),), ()))
    with pytest.raises(ValueError, match="rows"):
        render_grid_png(Grid(TITLE, ("A",), ("VSP", "PVEP"), ((Cell("good", ""),),), ()))


def test_importing_the_module_does_not_load_matplotlib() -> None:
    # The idle bot's memory is measured: matplotlib loads on the first picture only.
    code = "import sys, bot.picture; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


def test_wrap_breaks_headers_into_at_most_three_lines() -> None:
    lines = _wrap("Báo cáo tổng kết năm 2022 – Đảng ủy", 14, 3, len)

    assert lines == ["Báo cáo tổng", "kết năm 2022 –", "Đảng ủy"]


def test_wrap_ellipsizes_the_last_line_and_splits_long_words() -> None:
    long_title = "Góp ý dự thảo quy chế hoạt động của Cụm thi đua số 1 năm 2026"

    lines = _wrap(long_title, 12, 3, len)

    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(len(line) <= 12 for line in lines)
    assert _wrap("PVDrillingServices", 8, 3, len) == ["PVDrilli", "ngServic", "es"]
    assert _wrap("", 8, 3, len) == []


def test_fit_keeps_short_text_and_ellipsizes_long_text() -> None:
    assert _fit("muộn", 10, len) == "muộn"
    assert _fit("chưa trả lời", 8, len) == "chưa tr…"
    assert _fit("chưa trả lời", 0, len) == "…"
