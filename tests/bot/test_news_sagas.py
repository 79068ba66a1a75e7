"""`/news` tells a saga together: a follow-up sits under the story it continues and says so."""

from __future__ import annotations

from typing import Any

from tests.bot.conftest import Harness
from tests.bot.seed import add_story


def _sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section"]


def test_news_shows_a_follow_up_right_after_the_story_it_continues(harness: Harness) -> None:
    meta = harness.world.ids["메타"]
    with harness.sessions() as session:
        trial = add_story(
            session, [meta], "메타·유튜브, 청소년 SNS 중독 美재판 시작", hours_ago=40, outlets=3
        )
        add_story(session, [meta], "메타, 새 VR 헤드셋 공개", hours_ago=10, outlets=6)
        denial = add_story(session, [meta], "메타, 재판서 중독 책임 부인", hours_ago=2, outlets=1)
        denial.follow_up_of_id = trial.id
        session.commit()
    harness.user.command("메타")
    sections = _sections(harness.user.responses(1)[-1]["blocks"])
    at = {
        name: i
        for i, s in enumerate(sections)
        for name in ("재판 시작", "VR 헤드셋", "책임 부인")
        if name in s.split("\n")[0]  # the story's own line, not the one it continues
    }
    assert at["책임 부인"] == at["재판 시작"] + 1  # the saga together, oldest first
    assert at["VR 헤드셋"] < at["재판 시작"]  # the page's best story still leads
    later = sections[at["책임 부인"]]
    assert "이어지는 소식: <https://news.example.com/" in later and "청소년 SNS 중독" in later
    assert "이어지는 소식" not in sections[at["재판 시작"]]
