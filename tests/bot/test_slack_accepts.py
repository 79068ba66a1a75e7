"""Every answer the app gives is one Slack accepts, and a refusal still leaves the user with an answer.

The strict fake checks each payload against Slack's Block Kit rules and fails the test on any refusal
(`FakeSlack.close`); these tests also assert it explicitly. Buttons are pressed with the very action ids
and values the answers carry, as Slack would send them back.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot import blocks as bk
from briefings.models import Subscription
from tests.bot.conftest import Harness, wait_for
from tests.bot.test_commands import _texts
from tests.fakes.slack_api import Reply

AMBIGUOUS = ["LG", "삼성", "SK", "현대", "롯데"]


def _ask(h: Harness, text: str, **kw: Any) -> dict[str, Any]:
    before = len(h.fake.responses)
    assert h.user.command(text, **kw).status_code == 200
    return wait_for(lambda: h.fake.responses[before] if len(h.fake.responses) > before else None)  # type: ignore[no-any-return]


def _press(h: Harness, button: dict[str, Any], **kw: Any) -> dict[str, Any]:
    before = len(h.fake.responses)
    assert h.user.action(button["action_id"], button.get("value", ""), **kw).status_code == 200
    return wait_for(lambda: h.fake.responses[-1] if len(h.fake.responses) > before else None)  # type: ignore[no-any-return]


def _buttons(answer: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in answer.get("blocks") or []:
        found += [el for el in block.get("elements", []) if el.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


@pytest.mark.parametrize("query", AMBIGUOUS)
def test_ambiguous_names_offer_unique_candidate_buttons_that_each_answer(
    harness: Harness, query: str
) -> None:
    h = harness
    answer = _ask(h, query)
    candidates = _buttons(answer)
    ids = [b["action_id"] for b in candidates]
    assert len(candidates) >= 2 and len(set(ids)) == len(ids)
    assert all(i.startswith(bk.PICK + ":") for i in ids)
    for button in candidates:
        page = _press(h, button)
        company = json.loads(button["value"])["c"]
        name = {v: k for k, v in h.world.ids.items()}[company]
        assert page["replace_original"] is True and name in page["blocks"][0]["text"]["text"]
    assert h.fake.rejections == []


@pytest.mark.parametrize(("text", "kind"), [("구독 LG", bk.SUBSCRIBE), ("해지 삼성", bk.UNSUBSCRIBE)])
def test_subscribing_to_a_group_offers_candidates_that_subscribe(
    harness: Harness, text: str, kind: str
) -> None:
    h = harness
    if kind == bk.UNSUBSCRIBE:
        _ask(h, "구독 삼성전자")
    answer = _ask(h, text)
    candidates = _buttons(answer)
    assert candidates and all(b["action_id"].startswith(kind + ":") for b in candidates)
    chosen = next(b for b in candidates if b["text"]["text"].startswith(("LG전자", "삼성전자")))
    page = _press(h, chosen)
    assert ("구독을 시작했습니다" if kind == bk.SUBSCRIBE else "해지했습니다") in _texts(page["blocks"])
    with h.sessions() as session:
        subs = session.scalars(select(Subscription.company_id)).all()
    assert subs == ([h.world.ids["LG전자"]] if kind == bk.SUBSCRIBE else [])
    assert h.fake.rejections == []


SUBCOMMANDS = [
    "화웨이",
    "화훼이",
    "005930",
    "애플",
    "현대차",
    "구독 화웨이",
    "화웨이 구독",
    "구독 화웨이",
    "목록",
    "화웨이",  # now with 구독 해지
    "list",
    "해지 화웨이",
    "unsubscribe 화웨이",
    "시간 07:30",
    "time 25:00",
    "테마 반도체",
    "테마 없는테마",
    "구독 없는회사이름이다",
    "도움말",
    "help",
]


def test_every_subcommand_and_every_button_it_offers_is_accepted_by_slack(harness: Harness) -> None:
    h = harness
    pressed: set[str] = set()
    for text in SUBCOMMANDS:
        answer = _ask(h, text)
        assert answer.get("text")  # the fallback text Slack requires with blocks
        for button in _buttons(answer):
            kind = bk.action_kind(button["action_id"])
            if kind in pressed:
                continue
            pressed.add(kind)
            _press(h, button, channel="C7")
    assert pressed >= {bk.SUBSCRIBE, bk.UNSUBSCRIBE, bk.SHARE, bk.MORE}
    assert len(h.fake.posted("C7")) == 1  # the share
    # App Home after a personal subscription, and its 해지 button.
    _ask(h, "구독 메타", channel="DQ", channel_name="directmessage", user="U3")
    h.user.event({"type": "app_home_opened", "user": "U3", "tab": "home"})
    view = wait_for(lambda: h.fake.views.get("U3"))
    unsubscribe = next(b for b in _buttons(view) if b["action_id"].startswith(bk.HOME_UNSUBSCRIBE))
    h.fake.views.clear()
    h.user.action(unsubscribe["action_id"], unsubscribe["value"], user="U3", container="view")
    assert "개인 구독이 없습니다" in _texts(wait_for(lambda: h.fake.views.get("U3"))["blocks"])
    assert h.fake.rejections == []


def test_a_refused_answer_is_logged_with_slacks_reason_and_sent_again_as_plain_text(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.fake.script("response_url", Reply(400, error="invalid_blocks"))
    with caplog.at_level(logging.WARNING, logger="bot.replies"):
        h.user.command("화웨이")
        answer = h.user.responses(1)[0]
    assert "blocks" not in answer
    assert "화웨이, 새 AI 칩 어센드 공개" in answer["text"] and "연합뉴스 외 11개 매체" in answer["text"]
    assert len(h.fake.calls_to("response_url")) == 2
    assert "invalid_blocks" in caplog.text and "400" in caplog.text
    assert "xoxb-test" not in caplog.text and "/response/" not in caplog.text


def test_a_refused_share_is_posted_as_plain_text(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h = harness
    h.fake.script("chat.postMessage", Reply(error="invalid_blocks"))
    value = json.dumps({"c": h.world.ids["화웨이"], "o": 0, "d": 7})
    with caplog.at_level(logging.WARNING, logger="bot.replies"):
        h.user.action(bk.SHARE, value, channel="C5")
        assert "공유했습니다" in h.user.responses(1)[0]["text"]
    posted = h.fake.posted("C5")
    assert len(posted) == 1 and "blocks" not in posted[0]
    assert "화웨이, 새 AI 칩 어센드 공개" in posted[0]["text"]
    assert "invalid_blocks" in caplog.text and "xoxb-test" not in caplog.text


def test_a_refused_home_view_is_replaced_by_plain_text(harness: Harness) -> None:
    h = harness
    h.fake.script("views.publish", Reply(body={"ok": False, "error": "invalid_arguments"}))
    h.user.event({"type": "app_home_opened", "user": "U4", "tab": "home"})
    view = wait_for(lambda: h.fake.views.get("U4"))
    assert len(view["blocks"]) == 1 and "개인 구독이 없습니다" in view["blocks"][0]["text"]["text"]


def test_hostile_headlines_reach_slack_without_styling_or_direction_controls(harness: Harness) -> None:
    answer = _ask(harness, "현대차")
    line = next(b["text"]["text"] for b in answer["blocks"] if "전기차" in json.dumps(b, ensure_ascii=False))
    assert "＊대박＊ ＿속보＿ ～급락～ ｀코드｀" in line
    assert "매체＊ ＿이름＿" in line
    shown = json.dumps(answer, ensure_ascii=False)
    assert not any(ch in shown for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
    assert "*대박*" not in shown and "_속보_" not in shown and "`코드`" not in shown
