"""A PNG of a company's daily coverage: distinct stories (bars) and outlets (line), spike days marked.

Pure: counts and labels in, PNG bytes out. It draws on a bare `Figure` with the Agg canvas, so it
touches no global matplotlib state (no pyplot, no backend switch, no rcParams) and is safe in threads.
Korean text is drawn with NanumGothic as shipped by the koreanize-matplotlib package, loaded by file
path: importing that package would rewrite matplotlib's global font settings, so it is never imported.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from briefings.signals.spikes import DayCount

FONT_DISTRIBUTION = "koreanize-matplotlib"
FONT_FILE = "NanumGothic.ttf"
WIDTH = 1000
HEIGHT = 500
DPI = 100
STORY_COLOR = "#4c72b0"
OUTLET_COLOR = "#55a868"
SPIKE_COLOR = "#d62728"
LABEL_CHARS = 22
WEEKDAYS = "월화수목금토일"


class FontMissingError(RuntimeError):
    """The Korean font file is not installed; the message says which package ships it."""


@dataclass(frozen=True, slots=True)
class SpikeMark:
    """A spike day and the headline of its top story."""

    day: date
    headline: str


@cache
def korean_font_path() -> Path:
    """NanumGothic.ttf inside the installed koreanize-matplotlib distribution (found without importing it)."""
    try:
        dist = metadata.distribution(FONT_DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise FontMissingError(f"한국어 글꼴이 없습니다: `pip install {FONT_DISTRIBUTION}`") from exc
    for file in dist.files or ():
        if file.name == FONT_FILE:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise FontMissingError(f"{FONT_DISTRIBUTION}에 {FONT_FILE}이 없습니다")


def korean_font(size: float = 11.0) -> FontProperties:
    return FontProperties(fname=korean_font_path(), size=size)


def short(text: str, limit: int = LABEL_CHARS) -> str:
    clean = " ".join(text.split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


def render_coverage_chart(
    company: str,
    days: Sequence[DayCount],
    spikes: Sequence[SpikeMark] = (),
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> bytes:
    """The chart as PNG bytes, exactly `width` × `height` pixels."""
    font = korean_font()
    small = korean_font(9.0)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(len(days)))
    stories = [d.stories for d in days]
    outlets = [d.outlets for d in days]
    ax.bar(xs, stories, color=STORY_COLOR, width=0.7, label="스토리 수")
    ax.plot(xs, outlets, color=OUTLET_COLOR, marker="o", markersize=3, linewidth=1.5, label="매체 수")
    top = max([*stories, *outlets, 1])
    ax.set_ylim(0, top * 1.35 + 1)
    index = {d.day: i for i, d in enumerate(days)}
    for n, mark in enumerate(m for m in spikes if m.day in index):
        x = index[mark.day]
        ax.axvspan(x - 0.45, x + 0.45, color=SPIKE_COLOR, alpha=0.15, linewidth=0)
        ax.plot([x], [stories[x]], marker="v", color=SPIKE_COLOR, markersize=9)
        # Labels alternate in height so neighbouring spikes do not overprint each other.
        y = top * (1.12 if n % 2 == 0 else 1.25)
        ax.annotate(
            short(mark.headline),
            xy=(x, stories[x]),
            xytext=(x, y),
            ha="center",
            fontproperties=small,
            color=SPIKE_COLOR,
            arrowprops={"arrowstyle": "-", "color": SPIKE_COLOR, "linewidth": 0.8},
        )
    ticks = [i for i, d in enumerate(days) if d.day.weekday() == 0] or xs[:1]
    ax.set_xticks(ticks, [f"{days[i].day:%m/%d}({WEEKDAYS[days[i].day.weekday()]})" for i in ticks])
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(small)
    ax.set_xlim(-0.6, max(len(days) - 0.4, 0.4))
    span = f"{days[0].day:%Y-%m-%d} ~ {days[-1].day:%m-%d}" if days else ""
    ax.set_title(f"{company} 보도 추이 {span}", fontproperties=korean_font(13.0))
    ax.set_ylabel("하루 건수", fontproperties=font)
    ax.legend(prop=small, loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.1)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
