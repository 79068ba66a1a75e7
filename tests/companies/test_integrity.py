"""Registry integrity: one ticker per market, removing companies and aliases, the registry version."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import (
    CachedRegistry,
    RegistryError,
    add_alias,
    add_company,
    registry_version,
    remove_alias,
    remove_company,
    seed_if_needed,
)
from briefings.models import Company, CompanyAlias, RegistryState, Subscription
from briefings.subscriptions import subscribe
from tests.companies.conftest import run

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_ticker_names_one_company_per_market(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_company(session, "삼성전자", now=NOW, ticker="005930", market="KOSPI")
        add_company(session, "텐센트", now=NOW, ticker="0700", market="HKEX", country="CN")
    with sessions() as session:
        with pytest.raises(RegistryError, match="KOSPI 종목코드 005930은 이미 삼성전자의 종목코드입니다"):
            add_company(session, "가짜전자", now=NOW, ticker="005930", market="KOSPI")
        with pytest.raises(RegistryError, match="텐센트"):
            add_company(session, "가짜홀딩스", now=NOW, ticker="700", market="HKEX", country="CN")
        # The same code in another market is another company.
        add_company(session, "다른시장", now=NOW, ticker="005930", market="KOSDAQ")
        session.rollback()
    # The database itself refuses a second one, whatever wrote it.
    with sessions() as session:
        session.add(Company(name="직접입력", ticker="005930", market="KOSPI", created_at=NOW))
        with pytest.raises(IntegrityError):
            session.flush()


def test_companies_add_refuses_a_taken_ticker_in_korean(cli_db: str) -> None:
    assert run("companies", "add", "삼성전자", "--ticker", "005930", "--market", "KOSPI")[0] == 0
    code, _out, error = run("companies", "add", "짝퉁전자", "--ticker", "005930", "--market", "KOSPI")
    assert code != 0 and error == "KOSPI 종목코드 005930은 이미 삼성전자의 종목코드입니다."


def test_companies_unalias_and_remove(cli_db: str) -> None:
    assert run("companies", "add", "딥시크", "--alias", "深度求索", "--alias", "DeepSeek AI")[0] == 0
    code, out, _ = run("companies", "unalias", "딥시크", "DeepSeek AI")
    assert code == 0 and "DeepSeek AI" in out
    [row] = json.loads(run("companies", "list", "--json")[1])
    assert [a["alias"] for a in row["aliases"]] == ["深度求索"]
    code, _, error = run("companies", "unalias", "딥시크", "딥시크")
    assert code != 0 and "대표 이름" in error
    code, _, error = run("companies", "unalias", "딥시크", "없는별칭")
    assert code != 0 and "별칭이 없습니다" in error
    code, out, _ = run("companies", "remove", "深度求索")  # by an alias too
    assert code == 0 and "딥시크" in out
    assert json.loads(run("companies", "list", "--json")[1]) == []
    code, _, error = run("companies", "remove", "딥시크")
    assert code != 0 and "등록되지 않은 회사" in error


def test_removing_a_subscribed_company_needs_force(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        company = add_company(session, "화웨이", now=NOW, country="CN")
        subscribe(session, "T1", "C1", company.id, now=NOW, user_id="U1")
    with sessions.begin() as session, pytest.raises(RegistryError, match="구독 중인 채널이 1곳"):
        remove_company(session, "화웨이")
    with sessions.begin() as session:
        assert remove_company(session, "화웨이", force=True) == "화웨이"
    with sessions() as session:
        assert session.scalars(select(Subscription)).all() == []
        assert session.scalars(select(CompanyAlias)).all() == []


def test_every_write_bumps_the_version_and_the_cache_sees_it(sessions: sessionmaker[Session]) -> None:
    cache = CachedRegistry()
    with sessions.begin() as session:
        v0 = registry_version(session)
        add_company(session, "애플", now=NOW, name_en="Apple", country="US")
    with sessions.begin() as session:
        v1 = registry_version(session)
        assert [a.needs_context for a in cache.get(session).by_alias("애플")[0].aliases] == [False]
        # Changing only a flag changes no row count: the version still moves.
        add_alias(session, "애플", "애플", needs_context=True)
    with sessions.begin() as session:
        v2 = registry_version(session)
        assert [a.needs_context for a in cache.get(session).by_alias("애플")[0].aliases] == [True]
        add_alias(session, "애플", "Apple Inc.")
    with sessions.begin() as session:
        v3 = registry_version(session)
        remove_alias(session, "애플", "Apple Inc.")
        remove_company(session, "애플")
    with sessions() as session:
        v5 = registry_version(session)
        assert cache.get(session).by_alias("애플") == []
    assert v0 < v1 < v2 < v3 < v5 and v5 - v3 == 2


def test_seeding_applies_a_releases_new_aliases_to_an_existing_database(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        assert seed_if_needed(session, now=NOW) > 300
        assert seed_if_needed(session, now=NOW) == 0  # same file: one hash, nothing written
    # A database seeded by an earlier release: without an alias that this release's file has.
    with sessions.begin() as session:
        huawei = session.scalars(select(Company).where(Company.name == "화웨이")).one()
        session.execute(
            delete(CompanyAlias).where(CompanyAlias.company_id == huawei.id, CompanyAlias.alias == "華為")
        )
        session.execute(update(RegistryState).values(content_hash="an earlier release"))
        before = registry_version(session)
    with sessions.begin() as session:
        assert seed_if_needed(session, now=NOW) == 1
        assert registry_version(session) == before + 1
        aliases = session.scalars(
            select(CompanyAlias.alias).where(CompanyAlias.company_id == huawei.id)
        ).all()
    assert "華為" in aliases


def test_what_an_operator_removed_stays_removed_when_a_release_is_seeded(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        assert seed_if_needed(session, now=NOW) > 300
        remove_company(session, "샤오미")
        remove_alias(session, "화웨이", "華為")
    # The next release's data file (any change of hash) seeds again.
    with sessions.begin() as session:
        session.execute(update(RegistryState).values(content_hash="an earlier release"))
    with sessions.begin() as session:
        assert seed_if_needed(session, now=NOW) == 0
        assert session.scalars(select(Company).where(Company.name == "샤오미")).first() is None
        huawei = session.scalars(select(Company).where(Company.name == "화웨이")).one()
        assert "華為" not in {a.alias for a in huawei.aliases}
    # Adding them again lifts the removal: the next seeding leaves them be.
    with sessions.begin() as session:
        add_company(session, "샤오미", now=NOW, country="CN")
        add_alias(session, "화웨이", "華為")
        session.execute(update(RegistryState).values(content_hash="another release"))
    with sessions.begin() as session:
        seed_if_needed(session, now=NOW)
        assert session.scalars(select(Company).where(Company.name == "샤오미")).one().source == "operator"
        assert "華為" in {
            a.alias for a in session.scalars(select(Company).where(Company.name == "화웨이")).one().aliases
        }
