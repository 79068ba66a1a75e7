"""App Home reads its stories in a fixed number of statements: following five companies costs what
following one does (a per-company lookup in a loop would make the count grow and fail)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.bot.conftest import Harness
from tests.bot.test_commands import _texts
from tests.bot.test_home import _open_home
from tests.brief.statements import statements

FIVE = ["화웨이", "메타", "애플", "메그비", "현대자동차"]


def _subscribe_dm(h: Harness, user: str, names: list[str]) -> None:
    for name in names:
        h.fake.reset()
        h.user.command(f"구독 {name}", channel="D" + user, channel_name="directmessage", user=user)
        h.user.responses(1)


def test_home_of_five_companies_takes_the_statements_of_one(harness: Harness, bot_engine: Engine) -> None:
    h = harness
    _subscribe_dm(h, "U1", FIVE[:1])
    _subscribe_dm(h, "U5", FIVE)
    _open_home(h, "U1")  # caches that live for minutes (the company index, the window's first id) filled
    with statements(bot_engine) as one:
        _open_home(h, "U1")
    with statements(bot_engine) as five:
        view = _open_home(h, "U5")
    text = _texts(view["blocks"])
    # Each company's own latest story is there: the single query answered for all five.
    for headline in (
        "화웨이, 새 AI 칩 어센드 공개",
        "메타, 스마트 안경 출시",
        "딥시크 돌풍",
        "호출",
        "전기차",
    ):
        assert headline in text
    assert len(five) == len(one)


def _settings(h: Harness, channel: str) -> None:
    for text in ("구독 메타", '구독 "HBM"', "테마 반도체", "제외 매체 한국경제", "알림 둔감"):
        h.fake.reset()
        h.user.command(text, channel=channel)
        h.user.responses(1)


def test_home_of_five_channels_settings_takes_the_statements_of_one(
    harness: Harness, bot_engine: Engine
) -> None:
    h = harness
    h.fake.memberships["U1"] = ["CONE"]
    h.fake.memberships["U5"] = [f"CFIVE{i}" for i in range(5)]
    for channel in ["CONE", *h.fake.memberships["U5"]]:
        _settings(h, channel)
    _open_home(h, "U1")  # caches that live for minutes filled
    with statements(bot_engine) as one:
        _open_home(h, "U1")
    with statements(bot_engine) as five:
        view = _open_home(h, "U5")
    text = _texts(view["blocks"])
    for i in range(5):  # every channel's page, each with its rows, from the same few queries
        assert f"*<#CFIVE{i}>*" in text
    assert text.count("🚫 매체: 한국경제") == 5 and text.count('🔎 "HBM"') == 5
    assert len(five) == len(one)
