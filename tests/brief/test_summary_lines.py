"""A story's summary shows under its headline in `/news` answers and in briefings, escaped."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from io import StringIO

from rich.console import Console

import bot.blocks as bk
from bot.briefing_blocks import briefing_messages, render_terminal
from briefings.companies import CompanyRef
from briefings.lookup import StoryView
from tests.brief.test_blocks import KST, NOW, briefing, item
from tests.fakes.block_kit import check_message

SUMMARY = "삼성전자가 새 폴더블폰을 공개했다고 1일 밝혔다. 가격은 <!channel> 지난해와 같다."


def _texts(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_news_answer_shows_the_summary_quoted_under_the_headline() -> None:
    story = StoryView(
        1,
        "삼성전자, 새 폴더블폰 공개",
        "https://n.example/1",
        3,
        "연합뉴스",
        NOW,
        NOW,
        (),
        False,
        summary=SUMMARY,
    )
    bare = replace(story, id=2, summary=None)
    company = CompanyRef(1, "삼성전자", "Samsung Electronics", "company", "005930", None)
    blocks = bk.company_answer(company, [story, bare], now=NOW + timedelta(hours=1), tz=KST, days=7)
    sections = [b for b in blocks if b.get("type") == "section"]
    first, second = (str(b["text"]["text"]) for b in sections[:2])  # type: ignore[index]
    assert "\n>삼성전자가 새 폴더블폰을 공개했다고 1일 밝혔다." in first
    assert "&lt;!channel&gt;" in first and "<!channel>" not in first  # escaped like a headline
    assert "\n>" not in second  # no summary, no quote line (the headline is not repeated)


def test_briefing_shows_the_summary_under_the_headline() -> None:
    stories = [replace(item(1, "삼성전자, 새 폴더블폰 공개", ("삼성전자",)), summary=SUMMARY)]
    messages = briefing_messages(briefing(stories, ["삼성전자"]))
    text = _texts([b for m in messages for b in m.block_dicts()])
    assert "\\n>삼성전자가 새 폴더블폰을 공개했다고 1일 밝혔다." in text
    assert "<!channel> 지난해" not in text


def test_briefing_says_what_a_follow_up_continues() -> None:
    earlier = ("설탕 3사 과징금 4083억", "https://n.example/fine")
    stories = [replace(item(2, "제당업계 즉각 사과", ("CJ제일제당",)), follows=earlier)]
    text = _texts([b for m in briefing_messages(briefing(stories, ["CJ제일제당"])) for b in m.block_dicts()])
    assert "이어지는 소식: <https://n.example/fine|설탕 3사 과징금 4083억>" in text


def test_the_terminal_preview_says_what_a_follow_up_continues_in_sections_and_themes() -> None:
    earlier = ("설탕 3사 과징금 4083억", "https://n.example/fine")
    own = replace(item(2, "제당업계 즉각 사과", ("CJ제일제당",)), follows=earlier)
    shared = replace(item(3, "제당 3사 공동 사과문", ("CJ제일제당", "삼양사")), follows=earlier)
    plain = item(4, "삼양사 신제품", ("삼양사",))
    b = briefing([own, shared, plain], ["CJ제일제당", "삼양사"])
    assert [t.story.id for t in b.themes] == [3]  # the shared story is a 오늘의 테마 line
    out = StringIO()
    render_terminal(b, Console(file=out, width=200, color_system=None))
    lines = out.getvalue().splitlines()
    continued = [i for i, line in enumerate(lines) if "이어지는 소식: 설탕 3사 과징금 4083억" in line]
    assert len(continued) == 2  # under each follow-up, and not under the story that continues nothing
    assert {next(x for x in ("즉각 사과", "공동 사과문") if x in lines[i - 1]) for i in continued} == {
        "즉각 사과",
        "공동 사과문",
    }


def test_a_theme_line_says_what_its_story_continues_in_slack() -> None:
    earlier = ("설탕 3사 과징금 4083억", "https://n.example/fine")
    shared = replace(item(3, "제당 3사 공동 사과문", ("CJ제일제당", "삼양사")), follows=earlier)
    (message,) = briefing_messages(briefing([shared], ["CJ제일제당", "삼양사"]))
    (themes,) = [b for b in message.block_dicts() if "오늘의 테마" in str(b)]
    text = str(themes["text"]["text"])  # type: ignore[index]
    assert "제당 3사 공동 사과문" in text
    assert "\n_이어지는 소식: <https://n.example/fine|설탕 3사 과징금 4083억>_" in text
    assert check_message({"channel": "C1", "text": message.text, "blocks": message.block_dicts()}) is None
