"""Subscriptions and channel settings, scoped to a workspace, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.subscriptions import (
    InvalidSetting,
    channel_settings,
    list_subscriptions,
    list_team_subscriptions,
    parse_briefing_time,
    set_briefing_time,
    subscribe,
    toggle_theme,
    unsubscribe,
)
from tests.bot.seed import NOW, add_company


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8:00", "08:00"), ("08:30", "08:30"), ("7시", "07:00"), ("7시 30분", "07:30"), ("23:59", "23:59")],
)
def test_briefing_time_accepts_common_spellings(text: str, expected: str) -> None:
    assert parse_briefing_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "8:60", "아침", "", "8", "08:00:00", "-1:00"])
def test_briefing_time_refuses_the_rest_in_korean(text: str) -> None:
    with pytest.raises(InvalidSetting, match="HH:MM"):
        parse_briefing_time(text)


def test_subscriptions_are_per_workspace_and_channel(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        hw = add_company(session, "화웨이", "Huawei", "company", None, None, []).id
        assert subscribe(session, "TA", "C1", hw, now=NOW, user_id="U1")
        assert not subscribe(session, "TA", "C1", hw, now=NOW)  # idempotent
        assert subscribe(session, "TB", "C1", hw, now=NOW)
        assert subscribe(session, "TA", "D1", hw, now=NOW, user_id="U1", is_dm=True)
        session.commit()
        assert [(s.team_id, s.channel_id) for s in list_subscriptions(session, "TA", "C1")] == [("TA", "C1")]
        assert [s.channel_id for s in list_team_subscriptions(session, "TA")] == ["C1"]  # DMs stay private
        assert len(list_team_subscriptions(session, "TA", include_dm=True)) == 2
        assert unsubscribe(session, "TB", "C1", hw)
        assert not unsubscribe(session, "TB", "C1", hw)
        session.commit()
        assert [s.team_id for s in list_team_subscriptions(session, "TA", channel_ids=["C1"])] == ["TA"]
        assert list_subscriptions(session, "TB", "C1") == []


def test_channel_settings_time_and_themes(sessions: sessionmaker[Session]) -> None:
    known = {"ai": "ai", "반도체": "semiconductor", "semiconductor": "semiconductor"}
    with sessions() as session:
        assert set_briefing_time(session, "TA", "C1", "7:05", now=NOW) == "07:05"
        assert toggle_theme(session, "TA", "C1", "반도체", now=NOW, known=known) == (True, ["semiconductor"])
        assert toggle_theme(session, "TA", "C1", "AI", now=NOW, known=known) == (
            True,
            ["semiconductor", "ai"],
        )
        assert toggle_theme(session, "TA", "C1", "semiconductor", now=NOW, known=known) == (False, ["ai"])
        with pytest.raises(InvalidSetting, match="알 수 없는 테마"):
            toggle_theme(session, "TA", "C1", "요리", now=NOW, known=known)
        session.commit()
        mine, other = channel_settings(session, "TA", "C1"), channel_settings(session, "TB", "C1")
    assert mine is not None and (mine.briefing_time, mine.themes) == ("07:05", ["ai"])
    assert other is None
