"""Storing articles: one row per article even when another writer got there first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import session_scope
from briefings.gather.parse import parse_feed
from briefings.gather.store import find_new, insert_articles, store_entries
from tests.gather.builders import items, rss
from tests.gather.conftest import NOW, articles


def test_a_concurrent_writer_costs_only_the_duplicate(sessions: sessionmaker[Session]) -> None:
    entries = parse_feed(rss(items(4)), now=NOW).entries
    with session_scope(sessions) as session:
        first = store_entries(session, entries[:1], feed_id=None, outlet="가나경제", now=NOW)
    assert len(first) == 1
    # What a second process would do after deciding, before our insert: the same first entry.
    with pytest.raises(IntegrityError), session_scope(sessions) as session:
        insert_articles(session, entries, feed_id=None, outlet="가나경제", now=NOW)
    with session_scope(sessions) as session:
        ids = insert_articles(session, entries, feed_id=None, outlet="가나경제", now=NOW, careful=True)
    assert len(ids) == 3
    assert [a.url for a in articles(sessions)] == [e.url for e in entries]


def test_find_new_sees_titles_only_of_the_same_outlet_and_window(sessions: sessionmaker[Session]) -> None:
    entries = parse_feed(rss(items(2)), now=NOW).entries
    with session_scope(sessions) as session:
        store_entries(session, entries, feed_id=None, outlet="가나경제", now=NOW)
    moved = parse_feed(rss(items(2, host="other.example.kr")), now=NOW).entries
    later = parse_feed(rss(items(2, host="later.example.kr")), now=NOW + timedelta(days=10)).entries
    with session_scope(sessions) as session:
        assert find_new(session, "가나경제", moved) == []  # same headlines, other URLs: re-served
        assert len(find_new(session, "다른매체", moved)) == 2  # another outlet's own story
        assert len(find_new(session, "가나경제", later)) == 2  # the same headline ten days on
