"""The coverage chart: a real PNG of the asked size, Korean glyphs that are real glyphs, spike marks."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from briefings.signals.chart import (
    SPIKE_COLOR,
    SpikeMark,
    korean_font,
    korean_font_path,
    render_coverage_chart,
)
from briefings.signals.spikes import DayCount

START = date(2026, 11, 3)
DAYS = [DayCount(START + timedelta(days=i), 2 + i % 3, 3 + i % 4) for i in range(28)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    assert length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]
    return width, height


def text_pixels(text: str) -> bytes:
    """`text` drawn alone in the Korean font, as raw RGBA pixels."""
    fig = Figure(figsize=(2, 1), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.1, 0.3, text, fontproperties=korean_font(30))
    canvas.draw()
    return bytes(canvas.buffer_rgba())


def spike_pixels(png: bytes) -> int:
    red = bytes.fromhex(SPIKE_COLOR[1:])
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i : i + 3] == red)


def test_chart_is_a_png_of_the_asked_size() -> None:
    png = render_coverage_chart("화웨이", DAYS, [SpikeMark(DAYS[20].day, "화웨이, 새 스마트폰 공개")])
    assert png_size(png) == (1000, 500)
    image = Image.open(io.BytesIO(png))
    image.verify()
    small = render_coverage_chart("화웨이", DAYS, width=640, height=320)
    assert png_size(small) == (640, 320)


def test_the_font_has_real_korean_glyphs() -> None:
    font = FT2Font(str(korean_font_path()))
    for ch in "화웨이보도추이하루건수스토리매체":
        assert font.get_char_index(ord(ch)) != 0, ch
    # Drawn, each syllable is ink of its own shape: missing glyphs would all be the same .notdef box.
    blank = text_pixels("")
    hwa, we = text_pixels("화"), text_pixels("웨")
    assert hwa != blank
    assert we != blank
    assert hwa != we


def test_korean_text_is_not_drawn_as_the_missing_glyph_box() -> None:
    font = FT2Font(str(korean_font_path()))
    # U+10FFFD (private use) has no glyph in NanumGothic: its drawing is the .notdef box.
    assert font.get_char_index(0x10FFFD) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        notdef = text_pixels("\U0010fffd")
    assert text_pixels("화") != notdef
    assert text_pixels("이") != notdef


def test_spike_days_are_marked_only_when_there_are_spikes() -> None:
    plain = render_coverage_chart("화웨이", DAYS)
    marked = render_coverage_chart(
        "화웨이",
        DAYS,
        [SpikeMark(DAYS[9].day, "첫 번째 급증의 대표 기사 제목"), SpikeMark(DAYS[20].day, "두 번째 급증")],
    )
    assert spike_pixels(plain) == 0
    assert spike_pixels(marked) > 50
    # A spike outside the charted days is ignored, not drawn off the axis.
    assert (
        spike_pixels(render_coverage_chart("화웨이", DAYS, [SpikeMark(START - timedelta(days=3), "옛일")]))
        == 0
    )


def test_an_empty_company_still_draws() -> None:
    zeros = [DayCount(d.day, 0, 0) for d in DAYS]
    assert png_size(render_coverage_chart("조용한회사", zeros)) == (1000, 500)
