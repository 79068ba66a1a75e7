"""Every Block Kit payload the app produces passes slack_sdk's models and Slack's limits."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot import blocks as bk
from bot.home_settings import page_blocks
from briefings.companies import CompanyRef
from briefings.lookup import ArticleHit, StoryView
from briefings.settings_page import ChannelPage
from briefings.subscriptions import SubscriptionView
from tests.bot.conftest import Harness, wait_for
from tests.bot.seed import NOW
from tests.fakes import block_kit

KST = ZoneInfo("Asia/Seoul")


def assert_valid(blocks: list[dict[str, Any]], max_blocks: int = 50) -> None:
    """Slack's rules as the strict fake applies them, and slack_sdk's models on top."""
    assert block_kit.blocks(blocks, surface="message" if max_blocks == 50 else "home") == []
    assert 0 < len(blocks) <= max_blocks
    for raw in blocks:
        model = Block.parse(raw)
        assert model is not None, raw
        model.validate_json()
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= 150
        if raw["type"] == "section" and "text" in raw:
            assert len(raw["text"]["text"]) <= 3000
        elements = list(raw.get("elements", []))
        if "accessory" in raw:
            elements.append(raw["accessory"])
        for el in elements:
            if el.get("type") == "button":
                assert len(el["text"]["text"]) <= 75 and len(el.get("value", "")) <= 2000


def _payloads_of(h: Harness) -> list[list[dict[str, Any]]]:
    found = [r["blocks"] for r in h.fake.responses if r.get("blocks")]
    found += [m["blocks"] for m in h.fake.posted() if m.get("blocks")]
    return found


def test_every_payload_from_a_session_of_use_is_valid(harness: Harness) -> None:
    h = harness
    texts = [
        "화웨이",
        "삼성",
        "005930",
        "애플",
        "목록",
        "도움말",
        "구독 화웨이",
        "구독 LG",
        "해지 화웨이",
        "시간 09:15",
        "테마 AI",
        "list",
    ]
    for i, text in enumerate(texts, start=1):
        h.user.command(text)
        wait_for(lambda n=i: len(h.fake.responses) >= n)
    value = json.dumps({"c": h.world.ids["화웨이"], "o": 0, "d": 7})
    for action in (bk.SUBSCRIBE, bk.MORE, bk.PICK, bk.SHARE, bk.UNSUBSCRIBE):
        before = len(h.fake.responses)
        h.user.action(action, value)
        wait_for(lambda b=before: len(h.fake.responses) > b)
    h.user.command("구독 메타", channel="DQ", channel_name="directmessage", user="U3")
    h.user.event({"type": "app_home_opened", "user": "U3", "tab": "home"})
    view = wait_for(lambda: h.fake.views.get("U3"))
    payloads = _payloads_of(h)
    assert len(payloads) >= len(texts)
    for blocks in payloads:
        assert_valid(blocks)
    assert_valid(view["blocks"], max_blocks=100)


def _story(i: int, headline: str) -> StoryView:
    return StoryView(
        i,
        headline,
        "https://x.example/" + "a" * 1500,
        10_000,
        "매" * 300,
        NOW - timedelta(hours=i),
        NOW,
        tuple(f"theme{j}" for j in range(30)),
        True,
    )


@pytest.mark.parametrize("headline", ["짧은 제목", "긴 제목 " * 2000, "<!channel> & <@U1> " * 400])
def test_builders_stay_within_limits_whatever_the_data(headline: str) -> None:
    company = CompanyRef(1, "가" * 200, "B" * 300, "company", "005930", None)
    stories = [_story(i, headline) for i in range(60)]
    blocks = bk.company_answer(
        company,
        stories[:5],
        now=NOW,
        tz=KST,
        days=7,
        offset=9_999,
        has_more=True,
        subscribed=False,
        notice="알림 " * 2000,
    )
    assert_valid(blocks)
    many = [CompanyRef(i, "회" * 120, "", "company", None, None) for i in range(40)]
    assert_valid(bk.candidates_answer("질의" * 100, many))
    hits = [ArticleHit(i, headline, "javascript:alert(1)", "<!here>", NOW, None) for i in range(5)]
    assert_valid(bk.not_found_answer("질의" * 100, many[:5], hits, now=NOW, tz=KST))
    subs = [SubscriptionView("T", f"C{i}", i, "회사" * 60, i % 2 == 0, "U1") for i in range(300)]
    assert_valid(bk.subscriptions_answer(subs, schedule="매일 08:00", themes=["반도체"] * 100))
    ids = bk.Ids()
    view = bk.home_view(
        subs, [(company, stories[:3])] * 20, now=NOW, tz=KST, channel_pages=_pages(subs, ids), ids=ids
    )
    assert_valid(view["blocks"], max_blocks=100)
    assert "javascript:" not in json.dumps(bk.not_found_answer("q", [], hits, now=NOW, tz=KST))


def test_a_payload_over_the_block_limit_is_refused() -> None:
    with pytest.raises(bk.BlockLimitError):
        bk.check_blocks([bk.section("x")] * 51)


def _pages(subs: list[SubscriptionView], ids: bk.Ids) -> list[list[Block]]:
    """Each channel's settings page as App Home builds it, for the channels of `subs`."""
    by_channel: dict[str, list[SubscriptionView]] = {}
    for sub in subs:
        by_channel.setdefault(sub.channel_id, []).append(sub)
    return [
        page_blocks(
            ChannelPage(ch, False, "daily", "08:00", "보통", ("semiconductor",), tuple(rows), (), ()),
            ids,
            theme_labels={},
            default_time="08:00",
        )
        for ch, rows in by_channel.items()
    ]


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("text", {}).get("type") == "mrkdwn"]


def test_home_text_is_cut_before_escaping_never_inside_a_link_or_an_entity() -> None:
    names = "R&D·M&A <연구> " * 30
    subs = [SubscriptionView("T", f"C{i:04d}", i, names, i % 2 == 0, "U1") for i in range(300)]
    stories = [_story(i, "헤드라인 & <b> " * 40) for i in range(3)]
    company = CompanyRef(1, names, "", "company", None, None)
    ids = bk.Ids()
    view = bk.home_view(
        subs, [(company, stories)] * 10, now=NOW, tz=KST, channel_pages=_pages(subs, ids), ids=ids
    )
    assert_valid(view["blocks"], max_blocks=100)
    texts = _mrkdwn_texts(view["blocks"])
    notes = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(
        re.match(r"… 외 \d+개 채널 · 각 채널에서 `/news 목록`", n) for n in notes
    )  # says what did not fit
    for text in texts:
        assert len(text) <= 3000
        assert text.count("<") == text.count(">"), text[-80:]
        assert re.findall(r"&(?!amp;|lt;|gt;)", text) == [], text[-80:]


def test_database_pool_serves_every_listener_thread(sqlite_url: str) -> None:
    from bot.deps import LISTENER_THREADS
    from briefings.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        capacity = engine.pool.size() + engine.pool._max_overflow  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    assert capacity >= LISTENER_THREADS
