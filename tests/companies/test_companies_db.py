"""The registry in the database: seeding, operators' companies and aliases, and reading it back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import (
    AliasRecord,
    CompanyMatcher,
    CompanyRecord,
    RegistryError,
    add_alias,
    add_company,
    load_registry_file,
    registry_from_session,
    seed_companies,
    seed_if_needed,
)
from briefings.models import Company, CompanyAlias

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def count(session: Session, model: type[Company] | type[CompanyAlias]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seeding_is_idempotent_and_stores_every_alias(sessions: sessionmaker[Session]) -> None:
    records = load_registry_file()
    with sessions.begin() as session:
        first = seed_companies(session, records, now=NOW)
    with sessions.begin() as session:
        again = seed_companies(session, records, now=NOW)
        companies, aliases = count(session, Company), count(session, CompanyAlias)
        apple = session.scalars(select(Company).where(Company.name == "애플")).one()
        apple_aliases = {a.alias: a.needs_context for a in apple.aliases}
    assert first == companies + aliases and again == 0
    assert companies == len(records)
    assert aliases == sum(len(r.aliases) for r in records)
    assert apple.ticker == "AAPL" and apple.market == "NASDAQ" and apple.source == "registry"
    assert apple_aliases["애플"] is True and apple_aliases["Apple"] is False


def test_reseeding_keeps_operator_rows_and_their_changes(sessions: sessionmaker[Session]) -> None:
    records = load_registry_file()
    with sessions.begin() as session:
        add_company(session, "딥마인드", now=NOW, name_en="DeepMind", country="GB", aliases=["구글 딥마인드"])
        add_company(session, "화웨이", now=NOW, name_en="Huawei (operator)", country="CN")
        seed_companies(session, records, now=NOW)
        add_alias(session, "애플", "애플", needs_context=False)  # an operator trusts 애플 alone
    with sessions.begin() as session:
        assert seed_companies(session, records, now=NOW) == 0
        deepmind = session.scalars(select(Company).where(Company.name == "딥마인드")).one()
        huawei = session.scalars(select(Company).where(Company.name == "화웨이")).one()
        apple = session.scalars(select(Company).where(Company.name == "애플")).one()
        assert deepmind.source == "operator"
        assert {a.alias for a in deepmind.aliases} == {"딥마인드", "구글 딥마인드"}
        # The operator's own 화웨이 keeps its fields and gains the registry's spellings.
        assert huawei.source == "operator" and huawei.name_en == "Huawei (operator)"
        assert {"華爲", "Huawei"} <= {a.alias for a in huawei.aliases}
        assert {a.alias: a.needs_context for a in apple.aliases}["애플"] is False


def test_registry_read_back_from_the_database_matches(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert seed_if_needed(session, now=NOW) > 0
        assert seed_if_needed(session, now=NOW) == 0
        add_company(session, "딥시크AI", now=NOW, name_en="DeepSeek AI", country="CN", aliases=["심층탐구"])
        registry = registry_from_session(session)
    apple = registry.by_name("애플")
    assert apple is not None and apple.id is not None
    assert apple.cues and "아이폰" in apple.cues  # context words come from the packaged file
    assert AliasRecord("애플", True) in apple.aliases
    [new] = registry.by_alias("심층탐구")
    assert new.name == "딥시크AI" and new.id is not None
    matcher = CompanyMatcher(registry, None)
    assert matcher.registry.by_ticker("005930")[0].name == "삼성전자"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "  "}, "비어"),
        ({"name": "새회사", "ticker": "12", "market": "KOSPI"}, "종목코드"),
        ({"name": "새회사", "ticker": "AAPL", "market": "MOON"}, "시장"),
        ({"name": "새회사", "country": "KOR"}, "국가"),
        ({"name": "새회사", "kind": "club"}, "종류"),
        ({"name": "새회사", "aliases": ["삼성전자"]}, "이미 등록된 이름"),
        ({"name": "삼성 전자"}, "이미 등록된 이름"),
    ],
)
def test_bad_operator_input_is_refused_in_korean(
    sessions: sessionmaker[Session], kwargs: dict[str, object], message: str
) -> None:
    with sessions.begin() as session:
        seed_companies(session, [r for r in load_registry_file() if r.name == "삼성전자"], now=NOW)
        before = count(session, Company)
        with pytest.raises(RegistryError, match=message):
            add_company(session, now=NOW, **kwargs)  # type: ignore[arg-type]
        assert count(session, Company) == before


def test_alias_errors_and_flag_updates(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seed_companies(session, load_registry_file(), now=NOW)
        with pytest.raises(RegistryError, match="등록되지 않은 회사"):
            add_alias(session, "없는회사", "없는별칭")
        with pytest.raises(RegistryError, match="다른 회사"):
            add_alias(session, "화웨이", "샤오미")
        with pytest.raises(RegistryError, match="이미 등록된 별칭"):
            add_alias(session, "화웨이", "華爲")
        row = add_alias(session, "華爲", "화웨이테크", needs_context=True)  # found by its alias
        assert row.company.name == "화웨이" and row.needs_context is True


def test_registry_records_round_trip_through_seed(sessions: sessionmaker[Session]) -> None:
    record = CompanyRecord(
        id=None,
        name="테스트전자",
        name_en="Test Electronics",
        kind="company",
        ticker="123456",
        market="KOSDAQ",
        country="KR",
        group_name=None,
        aliases=(AliasRecord("테스트전자"), AliasRecord("테전", True)),
    )
    with sessions.begin() as session:
        assert seed_companies(session, [record], now=NOW) == 3
        [back] = [r for r in registry_from_session(session) if r.name == "테스트전자"]
    assert back.aliases == record.aliases and back.ticker == "123456" and back.market == "KOSDAQ"
