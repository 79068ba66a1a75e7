"""One resolver: `/news`, `briefings lookup`, `companies list -q` and the digester answer alike."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from bot.app import build_app
from bot.blocks import PICK, encode_value
from bot.server import start_server
from briefings.cli import app as cli
from briefings.cli import common as cli_common
from briefings.companies import OrdinaryWords, default_registry, seed_if_needed
from briefings.db import make_engine, make_sessionmaker
from briefings.digest.nlp import KoreanNLP
from briefings.digest.pipeline import build_digester
from briefings.models import StoryCompany
from tests.bot.conftest import SlackUser, make_settings
from tests.bot.seed import NOW as WORLD_NOW
from tests.bot.seed import add_story, seed_world
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.kiwi

NOW = datetime(2026, 12, 1, tzinfo=UTC)

# What people type → the company every surface must answer with (None: no company, search instead).
TABLE: list[tuple[str, str | None]] = [
    ("화웨이", "화웨이"),
    ("화훼이", "화웨이"),  # one wrong vowel
    ("華為", "화웨이"),  # the common traditional form
    ("华为", "화웨이"),
    ("HUAWEI", "화웨이"),
    (unicodedata.normalize("NFD", "화웨이"), "화웨이"),  # as macOS writes Hangul
    ("삼성 전자", "삼성전자"),
    ("samsung electronics", "삼성전자"),
    ("삼성젼자", "삼성전자"),
    ("005930", "삼성전자"),
    ("0700", "텐센트"),
    ("삼성그룹", "삼성그룹"),  # a group's full name is the group, not a question
    ("LG그룹", "LG그룹"),
    ("現代車", "현대자동차"),
    ("반도체", None),  # a theme word, not a typo of NXP반도체
    ("AI", None),  # not Airbnb or Airbus
    ("회사", None),
]


runner = CliRunner()


def _cli(*args: str) -> Any:
    result = runner.invoke(cli, list(args))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout) if result.exit_code == 0 else None


@pytest.fixture
def packaged_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database seeded with the packaged registry, as `db upgrade` leaves it; the CLI points at it."""
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine).begin() as session:
        assert seed_if_needed(session, now=NOW) > 300
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    cli_common.reset()
    yield sqlite_url
    cli_common.reset()


def _news_header(user: SlackUser, query: str) -> str:
    before = len(user.fake.responses)
    assert user.command(query).status_code == 200
    body = user.responses(before + 1)[-1]
    first = body["blocks"][0]
    return str(first["text"]["text"]) if first["type"] == "header" else ""


def test_every_surface_resolves_the_same_table(packaged_db: str, nlp: KoreanNLP) -> None:
    engine = make_engine(packaged_db)
    sessions = make_sessionmaker(engine)
    answers: dict[str, list[tuple[str, str | None, str | None]]] = {}

    def record(surface: str, query: str, expected: str | None, got: str | None) -> None:
        if got != expected:
            answers.setdefault(surface, []).append((query, expected, got))

    with sessions() as session:
        digester = build_digester(session, now=NOW, nlp=nlp)
    for query, expected in TABLE:
        res = digester.registry.resolve(query)
        record("digester", query, expected, res.company.name if res.company else None)
        out = _cli("lookup", query, "--json")
        record("lookup", query, expected, out["company"]["name"] if out and out["company"] else None)
        rows = _cli("companies", "list", "--json", "--query", query) or []
        record("companies list -q", query, expected, rows[0]["name"] if len(rows) == 1 else None)

    with FakeSlack() as fake:
        app = build_app(make_settings(fake, packaged_db), sessions=sessions, clock=lambda: NOW)
        with start_server(app) as server, httpx.Client(timeout=30) as http:
            user = SlackUser(server.url, fake, http)
            for query, expected in TABLE:
                header = _news_header(user, query)
                got = header.split(" · ")[0].split(" (")[0] if "주요 뉴스" in header else None
                record("/news", query, expected, got)
    engine.dispose()
    assert answers == {}


def test_exact_group_names_are_the_group_and_bare_keys_ask() -> None:
    registry = default_registry()
    for name in ("삼성그룹", "LG그룹", "SK그룹", "Samsung Group"):
        res = registry.resolve(name)
        assert res.status == "found" and res.company is not None and res.company.kind == "group", name
    for key in ("삼성", "LG", "엘지"):
        res = registry.resolve(key)
        assert res.status == "ambiguous" and res.candidates[0].kind == "group", key
        assert len(res.candidates) > 2


def test_common_words_are_never_typos_of_names() -> None:
    # Without the ordinary-word check, 반도체 is a close jamo match of NXP반도체's alias.
    bare = default_registry().resolve("반도체", ordinary=OrdinaryWords())
    assert bare.status == "found"
    for word in ("반도체", "AI", "인공지능", "배터리", "없는회사", "금리"):
        res = default_registry().resolve(word)
        assert res.status == "none" and not res.suggestions and not res.candidates, word
    # A typo that Kiwi reads as two known nouns (메가 + 비) is still a typo.
    typo = default_registry().resolve("메가비")
    assert typo.company is not None and typo.company.name == "메그비"


def test_lookup_offers_numbered_candidates_and_picks_one(packaged_db: str) -> None:
    result = runner.invoke(cli, ["lookup", "LG"])
    assert result.exit_code == 0
    assert "1. LG그룹" in result.stdout and "--pick" in result.stdout
    out = _cli("lookup", "LG", "--pick", "1", "--json")
    assert out["status"] == "found" and out["company"]["name"] == "LG그룹"
    listed = _cli("lookup", "LG", "--json")
    second = listed["candidates"][1]["name"]
    assert _cli("lookup", "LG", "--pick", "2", "--json")["company"]["name"] == second
    bad = runner.invoke(cli, ["lookup", "LG", "--pick", "99"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_a_group_answer_rolls_up_its_affiliates_stories_labelled_by_company(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        world = seed_world(session)
        ids = world.ids
        add_story(session, [ids["LG전자"]], "LG전자, 올레드 TV 신제품", hours_ago=5, outlets=5)
        add_story(session, [ids["LG유플러스"]], "LG유플러스 새 요금제", hours_ago=8, outlets=5)
        both = add_story(session, [ids["LG"], ids["LG전자"]], "LG전자 가전 구독 확대", hours_ago=2, outlets=2)
        # Primary for the group and for its affiliate alike.
        session.execute(update(StoryCompany).where(StoryCompany.story_id == both.id).values(is_primary=True))
        add_story(session, [ids["LG"]], "LG그룹 신년 인사", hours_ago=20, outlets=3)
        session.commit()
    with FakeSlack() as fake:
        app = build_app(make_settings(fake, sqlite_url), sessions=sessions, clock=lambda: WORLD_NOW)
        with start_server(app) as server, httpx.Client(timeout=30) as http:
            user = SlackUser(server.url, fake, http)
            assert user.command("LG그룹").status_code == 200
            typed = user.responses(1)[-1]
            assert user.action(PICK, encode_value(c=ids["LG"], o=0, d=7)).status_code == 200
            picked = user.responses(2)[-1]
    engine.dispose()
    for body in (typed, picked):
        lines = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
        text = "\n".join(lines)
        assert "관련 주요 기사가 없습니다" not in text
        assert "[LG전자] " in text and "[LG유플러스] " in text and "[LG] " in text
        assert len(lines) == 4  # the story of LG전자 and the group counts once
        assert any("[LG전자]" in line and "가전 구독" in line for line in lines)  # the affiliate labels it
