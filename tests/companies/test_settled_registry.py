"""A server's registry is kept out of the garbage collector's full passes (briefings/heap.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import CachedRegistry, add_alias, add_company

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the run collects as before


def _collected(obj: object) -> bool:
    """Whether the collector's passes still go through `obj` (frozen objects are not among them)."""
    return any(o is obj for o in gc.get_objects())


def test_a_settled_registry_is_out_of_the_full_passes_and_a_rebuild_frees_the_old_one(
    sessions: sessionmaker[Session], unfrozen: None
) -> None:
    with sessions.begin() as session:
        add_company(session, "심층탐구전자", now=NOW, country="KR")
    cache = CachedRegistry(settle=True)
    with sessions() as session:
        first = cache.get(session)
    assert not _collected(first.records)
    old = weakref.ref(first)
    del first
    with sessions.begin() as session:
        add_alias(session, "심층탐구전자", "심층탐구")
    with sessions() as session:
        second = cache.get(session)
    assert not _collected(second.records)
    assert second.resolve("심층탐구").company is not None
    assert old() is None  # the previous registry was freed, not kept frozen


def test_a_registry_kept_without_settling_stays_in_the_passes(
    sessions: sessionmaker[Session], unfrozen: None
) -> None:
    with sessions.begin() as session:
        add_company(session, "심층탐구전자", now=NOW, country="KR")
    cache = CachedRegistry()
    with sessions() as session:
        registry = cache.get(session)
    assert _collected(registry.records)
