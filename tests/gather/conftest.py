"""Fixtures of the gatherer's tests: a loopback feed server, tight limits, and feed rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings, get_settings
from briefings.db import session_scope
from briefings.models import Article, Feed
from tests.fakes.feed_server import FeedServer

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as fs:
        yield fs


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Limits small enough that every timeout and cap trips in well under a second or two."""
    return get_settings(
        briefings_home=tmp_path,
        fetch_connect_timeout=1.0,
        fetch_read_timeout=0.6,
        fetch_total_timeout=1.5,
        fetch_max_bytes=256 * 1024,
        fetch_max_redirects=3,
        fetch_concurrency=8,
        fetch_per_host=8,
        feeds_allow_private=True,  # the feed server is on loopback
        _env_file=None,
    )


def add_feed(sessions: sessionmaker[Session], url: str, **fields: object) -> int:
    with session_scope(sessions) as session:
        feed = Feed(url=url, name=str(fields.pop("name", url)), created_at=NOW, **fields)
        session.add(feed)
        session.flush()
        return feed.id


def get_feed(sessions: sessionmaker[Session], feed_id: int) -> Feed:
    with session_scope(sessions) as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None
        return feed


def articles(sessions: sessionmaker[Session]) -> list[Article]:
    with session_scope(sessions) as session:
        return list(session.scalars(select(Article).order_by(Article.id)))
