"""The query analyser of a long-running process learns the registry's names, as the digester's does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import CachedRegistry, add_alias, add_company
from briefings.db import make_engine, make_sessionmaker
from briefings.digest.nlp import KoreanNLP

pytestmark = pytest.mark.kiwi

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def forms(nlp: KoreanNLP, text: str) -> list[str]:
    return [m.form for m in nlp.tokenize([text])[0]]


def _with_huawei_cloud(url: str) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        add_company(session, "화웨이클라우드", now=NOW, country="CN")
    return engine, sessions


def test_a_kept_registry_teaches_its_analyser_every_new_name(sqlite_url: str) -> None:
    # An analyser of its own: the process-wide one may have learnt these names in another test.
    nlp = KoreanNLP(num_workers=1)
    engine, sessions = _with_huawei_cloud(sqlite_url)
    assert forms(nlp, "화웨이클라우드가") == ["화웨이", "클라우드", "가"]
    cache = CachedRegistry()
    cache.teach(nlp)
    with sessions() as session:
        cache.get(session)
    assert forms(nlp, "화웨이클라우드가") == ["화웨이클라우드", "가"]
    # An operator's alias reaches the analyser at the next request, without a restart.
    assert forms(nlp, "심층탐구코리아는")[0] != "심층탐구코리아"
    with sessions.begin() as session:
        add_alias(session, "화웨이클라우드", "심층탐구코리아")
    with sessions() as session:
        cache.get(session)
    engine.dispose()
    assert forms(nlp, "심층탐구코리아는") == ["심층탐구코리아", "는"]


def test_an_analyser_given_to_the_bot_learns_the_registry_as_the_digesters_does(sqlite_url: str) -> None:
    # `briefings web` hands the bot its Kiwi: a query must be split as the articles were indexed.
    from bot.deps import BotDeps
    from briefings.config import Settings

    nlp = KoreanNLP(num_workers=1)
    engine, sessions = _with_huawei_cloud(sqlite_url)
    settings = Settings(_env_file=None, database_url=sqlite_url)  # type: ignore[call-arg]
    deps = BotDeps(settings=settings, sessions=sessions, nlp_factory=lambda: nlp)
    with sessions() as session:
        deps.index.get(session)
    analyser = deps.nlp()
    assert analyser is nlp
    assert forms(nlp, "화웨이클라우드가") == ["화웨이클라우드", "가"]
    engine.dispose()
