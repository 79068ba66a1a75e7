"""The delivery migration on a database with rows: channels made for orphan subscriptions, then the key."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from briefings.db import make_engine, upgrade
from tests.migration_rows import insert_story

REVISION_BEFORE = "0001"


def test_upgrade_gives_orphan_subscriptions_channels_and_keeps_coverage(empty_url: str) -> None:
    upgrade(empty_url, REVISION_BEFORE)
    engine = make_engine(empty_url)
    at = datetime(2026, 11, 1, 9, 0)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO companies (id, name, name_en, kind, country, source, created_at) "
                    "VALUES (1, '카카오', 'Kakao', 'company', 'KR', 'registry', :at)"
                ),
                {"at": at},
            )
            conn.execute(
                text(
                    "INSERT INTO channels (team_id, channel_id, is_dm, briefing_time, post_when_empty,"
                    " themes, last_briefed_at, created_at)"
                    " VALUES ('T1', 'CHAS', false, '09:30', true, '[]', :at, :at)"
                ),
                {"at": at},
            )
            for channel, is_dm in (("CHAS", False), ("CORPHAN", False), ("U7", True)):
                conn.execute(
                    text(
                        "INSERT INTO subscriptions (team_id, channel_id, company_id, is_dm, created_at) "
                        "VALUES ('T1', :c, 1, :dm, :at)"
                    ),
                    {"c": channel, "dm": is_dm, "at": at},
                )
        upgrade(empty_url)
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT channel_id, is_dm, briefing_time, covered_until FROM channels ORDER BY channel_id"
                )
            ).all()
            assert [(r[0], bool(r[1]), r[2]) for r in rows] == [
                ("CHAS", False, "09:30"),
                ("CORPHAN", False, "08:00"),
                ("U7", True, "08:00"),
            ]
            assert rows[0][3] is not None and rows[1][3] is None  # covered up to its last briefing
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscriptions (team_id, channel_id, company_id, is_dm, created_at) "
                    "VALUES ('T1', 'CNOPE', 1, false, :at)"
                ),
                {"at": at},
            )
    finally:
        engine.dispose()


def test_delivery_slots_keep_every_briefing_and_what_it_showed(empty_url: str) -> None:
    upgrade(empty_url, "0015")
    engine = make_engine(empty_url)
    at = datetime(2026, 11, 1, 9, 0)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO deliveries (id, team_id, channel_id, status, briefing_date, attempts,"
                    " generation, parts_posted) VALUES (7, 'T1', 'C1', 'posted', '2026-11-01', 1, 1, 1)"
                )
            )
            insert_story(conn, 3, at)
            conn.execute(
                text(
                    "INSERT INTO shown_stories (delivery_id, team_id, channel_id, conversation_id, story_id,"
                    " part, message_ts, posted_at) VALUES (7, 'T1', 'C1', 'C1', 3, 1, '1.1', :at)"
                ),
                {"at": at},
            )
        upgrade(empty_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, slot FROM deliveries")).all() == [(7, 0)]
            # Copying the table on SQLite must not take the rows that point at it along.
            assert conn.execute(text("SELECT delivery_id, story_id FROM shown_stories")).all() == [(7, 3)]
            conn.execute(
                text(
                    "INSERT INTO deliveries (team_id, channel_id, status, briefing_date, slot, attempts,"
                    " generation, parts_posted) VALUES ('T1', 'C1', 'claimed', '2026-11-01', 1, 1, 1, 0)"
                )
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:  # each slot still claimed once
            conn.execute(
                text(
                    "INSERT INTO deliveries (team_id, channel_id, status, briefing_date, slot, attempts,"
                    " generation, parts_posted) VALUES ('T1', 'C1', 'claimed', '2026-11-01', 1, 1, 1, 0)"
                )
            )
    finally:
        engine.dispose()
