"""`/news 화웨이 추이` end to end through the strict fake Slack, in HTTP mode and in Socket Mode.

Without BRIEFINGS_PUBLIC_URL the ephemeral answer carries the numbers and 차트를 채널에 공유 uploads the
PNG with files_upload_v2 (getUploadURLExternal → upload URL → completeUploadExternal). With it, the
answer's image block points at the chart route of the same `briefings web`, which serves the PNG.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.blocks import PICK_TREND
from bot.deps import TTLCache
from bot.server import start_server
from bot.socket import start_socket_mode
from bot.trend import SHARE_TREND
from briefings.models import Story
from briefings.pages.app import pages_for
from briefings.pages.links import chart_path, company_path, story_path
from briefings.signals.counts import kst_day
from tests.bot.conftest import SlackUser, block_actions, make_settings, wait_for
from tests.bot.seed import NOW, World, seed_world
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.signals.test_counts import add_article, add_story

SPIKE_DAY = kst_day(NOW) - timedelta(days=1)
SPIKE_HEADLINE = "화웨이, 미국 제재 해제 소식에 관심 집중"


def add_coverage(session: Session, company_id: int) -> None:
    """Five weeks of one story a day, then nine stories on `SPIKE_DAY`: the top one carried by six outlets."""
    for back in range(2, 37):
        at = NOW - timedelta(days=back, hours=1)
        add_article(session, company_id, add_story(session, f"화웨이 일상 소식 {back}", at), "연합뉴스", at)
    spike_at = NOW - timedelta(hours=20)  # 13:00 KST the day before
    assert kst_day(spike_at) == SPIKE_DAY
    for n in range(9):
        carried = (
            ["연합뉴스", "뉴시스", "뉴스1", "전자신문", "머니투데이", "한국경제"] if n == 0 else ["뉴시스"]
        )
        story_id = add_story(session, SPIKE_HEADLINE if n == 0 else f"화웨이 후속 {n}", spike_at)
        session.get_one(Story, story_id).outlets_count = len(carried)
        for outlet in carried:
            add_article(session, company_id, story_id, outlet, spike_at + timedelta(minutes=n))


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as session:
        world = seed_world(session)
        add_coverage(session, world.ids["화웨이"])
        session.commit()
    return world


def _url(sessions: sessionmaker[Session]) -> str:
    return str(sessions.kw["bind"].url.render_as_string(hide_password=False))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _share_value(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        for el in block.get("elements", []) or []:
            if el.get("action_id") == SHARE_TREND:
                return str(el["value"])
    raise AssertionError("no 차트를 채널에 공유 button")


def _check_upload(fake: FakeSlack, channel: str) -> None:
    """One completed PNG upload shared into `channel`, after joining it, with a Korean comment."""
    done = wait_for(lambda: [f for f in fake.files.values() if f.completed])
    [upload] = done
    assert upload.channel == channel
    assert upload.filename.endswith(".png") and "화웨이" in upload.filename
    assert upload.content is not None
    image = Image.open(io.BytesIO(upload.content))
    assert image.format == "PNG" and image.size == (1000, 500)
    assert (
        upload.initial_comment and "화웨이" in upload.initial_comment and "급증 1일" in upload.initial_comment
    )
    [message] = [m for m in fake.posted(channel) if m.get("files")]
    assert message["files"][0]["id"] == upload.id
    methods = [c.method for c in fake.calls]
    assert methods.index("conversations.join") < methods.index("files.completeUploadExternal")
    assert methods.index("files.getUploadURLExternal") < methods.index("upload")


def test_http_mode_answers_with_numbers_and_shares_by_upload(
    fake: FakeSlack, sessions: sessionmaker[Session], world: World
) -> None:
    app = build_app(make_settings(fake, _url(sessions)), sessions=sessions, clock=lambda: NOW)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        assert user.command("화웨이 추이").status_code == 200
        [answer] = user.responses()
        text = _texts(answer["blocks"])
        assert "최근 4주 보도 추이" in text
        assert "급증 1일" in text and SPIKE_HEADLINE in text
        assert not any(b["type"] == "image" for b in answer["blocks"])  # no public URL: nothing to fetch
        fake.responses.clear()
        assert user.action(SHARE_TREND, _share_value(answer["blocks"]), channel="C3").status_code == 200
        _check_upload(fake, "C3")
        [told] = user.responses()
        assert told["text"] == "채널에 공유했습니다."


def test_verb_first_and_english_work_and_a_missing_company_is_one_line(
    fake: FakeSlack, sessions: sessionmaker[Session], world: World
) -> None:
    app = build_app(make_settings(fake, _url(sessions)), sessions=sessions, clock=lambda: NOW)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        ack = user.command("추이")
        assert "회사 이름" in ack.json()["text"] and "추이" in ack.json()["text"]
        user.command("trend Huawei")
        [answer] = user.responses()
        assert "화웨이 (Huawei) · 최근 4주 보도 추이" in _texts(answer["blocks"])


def test_with_a_public_url_the_answer_shows_the_chart_the_server_serves(
    fake: FakeSlack, sessions: sessionmaker[Session], world: World
) -> None:
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    settings = make_settings(fake, _url(sessions), briefings_public_url=public)
    app = build_app(settings, sessions=sessions, clock=lambda: NOW)
    pages = pages_for(settings, sessions, cache=TTLCache(), clock=lambda: NOW)
    huawei = world.ids["화웨이"]
    with start_server(app, port=port, pages=pages) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        user.command("화웨이 추이")
        [answer] = user.responses()
        [image] = [b for b in answer["blocks"] if b["type"] == "image"]
        assert image["image_url"] == public + chart_path(huawei, kst_day(NOW))
        assert "보도 추이" in image["alt_text"]
        assert f"<{public}{company_path(huawei)}|전체 보도 보기>" in _texts(answer["blocks"])
        assert f"<{public}/stories/" in _texts(answer["blocks"])  # the spike's top story, its page
        assert SPIKE_HEADLINE in _texts(answer["blocks"])
        chart = http.get(image["image_url"])
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(chart.content)).size == (1000, 500)
        page = http.get(public + company_path(huawei))
        assert page.status_code == 200 and "화웨이" in page.text
        # The plain lookup links the company page too.
        fake.responses.clear()
        user.command("화웨이")
        [lookup] = user.responses()
        assert f"<{public}{company_path(huawei)}|전체 보도 보기>" in _texts(lookup["blocks"])
        story = world.stories["hw_chip"]
        assert f"<{public}{story_path(story)}|전체 보도>" in _texts(lookup["blocks"])
        assert http.get(public + story_path(story)).status_code == 200
        # Shared with a public URL: the same chart as an image block, posted to the channel, no upload.
        fake.responses.clear()
        user.action(SHARE_TREND, _share_value(answer["blocks"]), channel="C3")
        [posted] = wait_for(lambda: fake.posted("C3"))
        assert any(b["type"] == "image" for b in posted["blocks"])
        assert fake.calls_to("files.getUploadURLExternal") == []


@pytest.fixture
def socket_server() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as server:
        yield server


def test_socket_mode_answers_and_shares_by_upload_too(
    fake: FakeSlack, socket_server: FakeSocketMode, sessions: sessionmaker[Session], world: World
) -> None:
    fake.socket_url = socket_server.url
    settings = make_settings(
        fake, _url(sessions), slack_app_token="xapp-1-A0001-test", slack_signing_secret=None
    )
    app = build_app(settings, sessions=sessions, clock=lambda: NOW)
    handler = start_socket_mode(app, settings, block=False)
    try:
        socket_server.wait_connected()
        command = {
            "team_id": "T0001",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": "U1",
            "command": "/news",
            "text": "화웨이 추이",
            "api_app_id": "A0001",
            "response_url": fake.response_url("k1"),
            "trigger_id": "1.2.3",
        }
        socket_server.ack(socket_server.send("slash_commands", command, accepts_response_payload=True))
        [answer] = wait_for(lambda: list(fake.responses))
        assert SPIKE_HEADLINE in _texts(answer["blocks"])
        payload = block_actions(
            SHARE_TREND,
            _share_value(answer["blocks"]),
            channel="C4",
            channel_name="random",
            response_url=fake.response_url("k2"),
        )
        socket_server.ack(socket_server.send("interactive", payload))
        _check_upload(fake, "C4")
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def test_an_upload_slack_refuses_is_told_in_korean(
    fake: FakeSlack, sessions: sessionmaker[Session], world: World
) -> None:
    fake.channel_errors["C9"] = "is_archived"
    app = build_app(make_settings(fake, _url(sessions)), sessions=sessions, clock=lambda: NOW)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        value = json.dumps({"c": world.ids["화웨이"]})
        user.action(SHARE_TREND, value, channel="C9")
        [told] = user.responses()
        assert told["text"] == "보관된 채널에는 공유할 수 없습니다."
        assert not any(f.completed for f in fake.files.values())


def test_an_ambiguous_name_offers_candidates_and_a_pick_shows_that_companys_trend(
    fake: FakeSlack, sessions: sessionmaker[Session], world: World
) -> None:
    app = build_app(make_settings(fake, _url(sessions)), sessions=sessions, clock=lambda: NOW)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        user.command("삼성 추이")
        [question] = user.responses()
        assert "보도 추이를 볼 회사를 골라 주세요" in _texts(question["blocks"])
        buttons = {
            el["text"]["text"]: el
            for block in question["blocks"]
            for el in block.get("elements", []) or []
            if el.get("type") == "button"
        }
        pick = next(el for label, el in buttons.items() if label.startswith("삼성전자"))
        assert pick["action_id"] == f"{PICK_TREND}:{world.ids['삼성전자']}"
        fake.responses.clear()
        assert user.action(pick["action_id"], pick["value"]).status_code == 200
        [answer] = user.responses()
        assert answer["replace_original"] is True
        assert "삼성전자" in _texts(answer["blocks"]) and "최근 4주 보도 추이" in _texts(answer["blocks"])
