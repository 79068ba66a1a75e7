"""The registry in the database: seeding it from the data file, operators' changes, its version.

Every write bumps `registry_state.version` in the same transaction, and long-running processes
(`CachedRegistry`, the digest job) rebuild what they derived from the registry when it moves, so a
changed alias flag is seen at the next request, not at the next restart. Seeding compares a content
hash of `companies.json`, so a release that adds aliases brings them to existing databases.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from briefings.companies.index import Registry, Resolution
from briefings.companies.records import (
    KINDS,
    MARKETS,
    AliasRecord,
    CompanyRecord,
    load_registry_file,
    nfc,
    normalize,
    normalize_ticker,
    registry_hash,
    ticker_problem,
)
from briefings.heap import settle_heap
from briefings.korean import josa
from briefings.models import Company, CompanyAlias, RegistryRemoval, RegistryState, Subscription
from briefings.timeutil import utcnow

_STATE_ID = 1


class RegistryError(ValueError):
    """An operator's change that cannot be made; the message is one Korean line for the user."""


# --- the version -------------------------------------------------------------------------------


def registry_version(session: Session) -> int:
    """The registry's version: one primary-key read, cheap enough for every request."""
    return int(session.scalar(select(RegistryState.version).where(RegistryState.id == _STATE_ID)) or 0)


def bump_version(session: Session) -> int:
    """Mark the registry changed (atomically, so concurrent writers never lose a bump)."""
    result = session.execute(
        update(RegistryState)
        .where(RegistryState.id == _STATE_ID)
        .values(version=RegistryState.version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(RegistryState(id=_STATE_ID, version=1, content_hash=""))
        session.flush()
    return registry_version(session)


def _state(session: Session) -> RegistryState:
    state = session.get(RegistryState, _STATE_ID)
    if state is None:
        state = RegistryState(id=_STATE_ID, version=0, content_hash="")
        session.add(state)
        session.flush()
    return state


# --- seeding -----------------------------------------------------------------------------------


def seed_companies(session: Session, records: Iterable[CompanyRecord], *, now: datetime) -> int:
    """Upsert registry records into companies/company_aliases; returns the number of rows written.

    Idempotent (a second run writes nothing). Rows an operator made are never deleted, and an
    operator's company keeps its own fields; registry aliases missing from it are added. Existing
    aliases keep their `needs_context` flag, which an operator may have changed on purpose. A company
    or alias the operator removed stays removed (`registry_removals`).
    """
    existing = {
        c.name: c for c in session.scalars(select(Company).options(selectinload(Company.aliases))).all()
    }
    removed = {(row.company_name, row.alias) for row in session.scalars(select(RegistryRemoval))}
    written = 0
    for rec in records:
        if (rec.name, "") in removed:
            continue
        company = existing.get(rec.name)
        if company is None:
            company = Company(
                name=rec.name,
                name_en=rec.name_en,
                kind=rec.kind,
                ticker=rec.ticker,
                market=rec.market,
                country=rec.country,
                group_name=rec.group_name,
                source="registry",
                created_at=now,
            )
            session.add(company)
            existing[rec.name] = company
            written += 1
        elif company.source == "registry":
            fields = (rec.name_en, rec.kind, rec.ticker, rec.market, rec.country, rec.group_name)
            current = (
                company.name_en,
                company.kind,
                company.ticker,
                company.market,
                company.country,
                company.group_name,
            )
            if fields != current:
                (
                    company.name_en,
                    company.kind,
                    company.ticker,
                    company.market,
                    company.country,
                    company.group_name,
                ) = fields
                written += 1
        have = {a.alias for a in company.aliases}
        for alias in rec.aliases:
            if alias.alias not in have and (company.name, alias.alias) not in removed:
                company.aliases.append(CompanyAlias(alias=alias.alias, needs_context=alias.needs_context))
                have.add(alias.alias)
                written += 1
    session.flush()
    if written:
        bump_version(session)
    return written


def seed_if_needed(session: Session, *, now: datetime) -> int:
    """Seed the packaged registry when the data file changed since the last seeding (or never was).

    Cheap enough for every digest run: one hash of the file and one row read when nothing changed.
    """
    digest = registry_hash()
    state = _state(session)
    if state.content_hash == digest:
        return 0
    written = seed_companies(session, load_registry_file(), now=now)
    mark_seeded(session, digest)
    return written


def mark_seeded(session: Session, digest: str) -> None:
    """Remember which data file the database was last seeded from."""
    _state(session).content_hash = digest
    session.flush()


# --- reading -----------------------------------------------------------------------------------


def _record_from_row(company: Company, packaged: dict[str, CompanyRecord]) -> CompanyRecord:
    known = packaged.get(company.name)
    rows = {a.alias: a.needs_context for a in company.aliases}
    aliases = [AliasRecord(company.name, rows.pop(company.name, False))]
    aliases += [AliasRecord(alias, flag) for alias, flag in rows.items()]
    return CompanyRecord(
        id=company.id,
        name=company.name,
        name_en=company.name_en,
        kind=company.kind,
        ticker=company.ticker,
        market=company.market,
        country=company.country,
        group_name=company.group_name,
        aliases=tuple(aliases),
        cues=known.cues if known else (),
        anti_cues=known.anti_cues if known else (),
        strict_context=known.strict_context if known else False,
        team=known.team if known else False,
    )


def registry_from_session(session: Session) -> Registry:
    """The registry as stored (registry and operator rows), with the data file's context words."""
    version = registry_version(session)
    packaged = {rec.name: rec for rec in load_registry_file()}
    companies = session.scalars(
        select(Company).options(selectinload(Company.aliases)).order_by(Company.id)
    ).all()
    return Registry((_record_from_row(c, packaged) for c in companies), version=version)


@runtime_checkable
class UserDictionary(Protocol):
    """An analyser that learns words (`KoreanNLP` is one)."""

    def add_user_words(self, words: Iterable[tuple[str, str, float]]) -> int: ...


class CachedRegistry:
    """The registry of a long-running process, rebuilt when a write has moved the registry version.

    Each `get` costs one primary-key read; the rebuild (one query over companies and aliases) only
    happens after operators changed something, whichever process made the change. Analysers given
    to `teach` learn the registry's names at every rebuild, as the digester's does, so a query is
    split into the same morphemes as the articles it searches.
    """

    def __init__(self, *, settle: bool = False) -> None:
        self._registry: Registry | None = None
        # A server's registry is held until the next rebuild, so each build is taken out of the
        # collector's full passes (`settle_heap`: one full collection, 50-150 ms, once per build).
        self._settle = settle
        self._analysers: list[UserDictionary] = []
        self._lock = threading.Lock()

    def get(self, session: Session) -> Registry:
        version = registry_version(session)
        with self._lock:
            if self._registry is not None and self._registry.version == version:
                return self._registry
            registry = self._registry = registry_from_session(session)
            analysers = list(self._analysers)
        for analyser in analysers:
            analyser.add_user_words(registry.user_words())
        if self._settle:
            settle_heap()
        return registry

    def teach(self, analyser: UserDictionary) -> None:
        """Keep an analyser's user dictionary in step with the registry from now on."""
        with self._lock:
            if any(a is analyser for a in self._analysers):
                return
            self._analysers.append(analyser)
            registry = self._registry
        if registry is not None:
            analyser.add_user_words(registry.user_words())

    def invalidate(self) -> None:
        with self._lock:
            self._registry = None

    def prime(self, registry: Registry) -> None:
        """Start from a registry built elsewhere (replaced when the stored version moves)."""
        with self._lock:
            self._registry = registry


# --- operators' changes ------------------------------------------------------------------------


def _alias_owner(session: Session, alias: str) -> Company | None:
    key = normalize(alias)
    for company in session.scalars(select(Company).options(selectinload(Company.aliases))):
        if normalize(company.name) == key or any(normalize(a.alias) == key for a in company.aliases):
            return company
    return None


def find_company(session: Session, name: str) -> Company | None:
    """A stored company by its canonical name, or failing that by one of its aliases."""
    name = nfc(name.strip())
    company = session.scalars(select(Company).where(Company.name == name)).first()
    return company if company is not None else _alias_owner(session, name)


def _ticker_owner(session: Session, ticker: str, market: str | None) -> Company | None:
    key = normalize_ticker(ticker)
    same_market = Company.market.is_(None) if market is None else Company.market == market
    for company in session.scalars(select(Company).where(same_market, Company.ticker.is_not(None))):
        if company.ticker and normalize_ticker(company.ticker) == key:
            return company
    return None


def _clean(text: str) -> str:
    return " ".join(nfc(text).split())


def _remember_removal(session: Session, company_name: str, alias: str = "") -> None:
    session.merge(RegistryRemoval(company_name=company_name, alias=alias, removed_at=utcnow()))


def _forget_removal(session: Session, company_name: str, alias: str = "") -> None:
    session.execute(
        delete(RegistryRemoval).where(
            RegistryRemoval.company_name == company_name, RegistryRemoval.alias == alias
        )
    )


def add_company(
    session: Session,
    name: str,
    *,
    now: datetime,
    name_en: str = "",
    kind: str = "company",
    ticker: str | None = None,
    market: str | None = None,
    country: str = "KR",
    group_name: str | None = None,
    aliases: Sequence[str] = (),
) -> Company:
    """Register a company (source='operator'); every process picks it up at its next request."""
    name = _clean(name)
    if not name:
        raise RegistryError("회사 이름이 비어 있습니다.")
    if len(name) > 100:
        raise RegistryError("회사 이름이 너무 깁니다 (100자 이하).")
    if kind not in KINDS:
        raise RegistryError(f"알 수 없는 종류입니다: {kind!r} (company 또는 group)")
    if market is not None:
        market = market.strip().upper()
        if market not in MARKETS:
            raise RegistryError(f"알 수 없는 시장입니다: {market!r} ({', '.join(MARKETS)})")
    if ticker is not None:
        ticker = ticker.strip().upper()
        problem = ticker_problem(ticker, market)
        if problem:
            raise RegistryError(problem)
        owner = _ticker_owner(session, ticker, market)
        if owner is not None:
            where = f"{market} " if market else ""
            raise RegistryError(
                f"{josa(f'{where}종목코드 {ticker}', '은/는')} 이미 {owner.name}의 종목코드입니다."
            )
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RegistryError(f"국가 코드는 두 글자여야 합니다: {country!r} (예: KR, US, CN)")
    cleaned = [_clean(a) for a in aliases]
    for text in (name, *cleaned):
        owner = _alias_owner(session, text)
        if owner is not None:
            raise RegistryError(f"이미 등록된 이름입니다: {text!r} ({owner.name})")
    company = Company(
        name=name,
        name_en=name_en.strip(),
        kind=kind,
        ticker=ticker,
        market=market,
        country=country,
        group_name=_clean(group_name) if group_name else None,
        source="operator",
        created_at=now,
    )
    company.aliases.append(CompanyAlias(alias=name, needs_context=False))
    for alias in dict.fromkeys(cleaned):
        if alias and alias != name:
            company.aliases.append(CompanyAlias(alias=alias, needs_context=False))
    session.add(company)
    try:
        session.flush()
    except IntegrityError:
        # Another process registered the same name or ticker at the same moment.
        raise RegistryError(f"이미 등록된 이름이나 종목코드입니다: {name}") from None
    _forget_removal(session, name)
    bump_version(session)
    return company


def add_alias(session: Session, name: str, alias: str, *, needs_context: bool = False) -> CompanyAlias:
    """Give a stored company another name. Re-adding its own alias only updates `needs_context`."""
    alias = _clean(alias)
    if not alias:
        raise RegistryError("별칭이 비어 있습니다.")
    if len(alias) > 100:
        raise RegistryError("별칭이 너무 깁니다 (100자 이하).")
    company = find_company(session, name)
    if company is None:
        raise RegistryError(f"등록되지 않은 회사입니다: {name!r}")
    owner = _alias_owner(session, alias)
    if owner is not None and owner.id != company.id:
        raise RegistryError(f"별칭 {josa(repr(alias), '은/는')} 이미 다른 회사({owner.name})의 이름입니다.")
    for row in company.aliases:
        if row.alias == alias:
            if row.needs_context == needs_context:
                raise RegistryError(f"이미 등록된 별칭입니다: {alias!r} ({company.name})")
            row.needs_context = needs_context
            session.flush()
            bump_version(session)
            return row
    row = CompanyAlias(alias=alias, needs_context=needs_context)
    company.aliases.append(row)
    _forget_removal(session, company.name, alias)
    session.flush()
    bump_version(session)
    return row


def remove_alias(session: Session, name: str, alias: str) -> Company:
    """Take an alias away from a company (never its canonical name); returns the company."""
    alias = _clean(alias)
    company = find_company(session, name)
    if company is None:
        raise RegistryError(f"등록되지 않은 회사입니다: {name!r}")
    if normalize(alias) == normalize(company.name):
        raise RegistryError(
            f"대표 이름은 별칭에서 뺄 수 없습니다: {company.name} (회사를 지우려면 companies remove)"
        )
    rows = [row for row in company.aliases if row.alias == alias] or [
        row for row in company.aliases if normalize(row.alias) == normalize(alias)
    ]
    if not rows:
        raise RegistryError(f"{company.name}에 그런 별칭이 없습니다: {alias!r}")
    for row in rows:
        company.aliases.remove(row)
        _remember_removal(session, company.name, row.alias)
    session.flush()
    bump_version(session)
    return company


def subscriber_count(session: Session, company_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Subscription).where(Subscription.company_id == company_id)
        )
        or 0
    )


def remove_company(session: Session, name: str, *, force: bool = False) -> str:
    """Delete a company with its aliases, mentions and story links; returns its name.

    A company that channels subscribe to is kept unless `force`: deleting it ends those subscriptions.
    """
    company = find_company(session, name)
    if company is None:
        raise RegistryError(f"등록되지 않은 회사입니다: {name!r}")
    subscribers = subscriber_count(session, company.id)
    if subscribers and not force:
        raise RegistryError(
            f"{josa(company.name, '을/를')} 구독 중인 채널이 {subscribers}곳 있습니다. "
            "구독까지 함께 지우려면 --force를 붙이세요."
        )
    label = company.name
    session.delete(company)
    _remember_removal(session, label)
    session.flush()
    bump_version(session)
    return label


def resolve_company(session: Session, query: str, *, registry: Registry | None = None) -> Resolution:
    """`Registry.resolve` over the stored registry (or the one a long-running process keeps)."""
    return (registry if registry is not None else registry_from_session(session)).resolve(query)
