"""Rows written with plain SQL into a database upgraded to an older revision, where the models
(which follow head) cannot be used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text


def insert_story(conn: Connection, story_id: int, at: datetime) -> None:
    """A one-article story of 연합뉴스 published and updated at `at`, with the columns every revision
    since the stories table's last change has."""
    conn.execute(
        text(
            "INSERT INTO stories (id, headline, url, first_outlet, first_published_at,"
            " last_published_at, outlets_count, articles_count, exclusive, outlets, themes,"
            " keywords, updated_at) VALUES (:id, '소식', :url, '연합뉴스', :at, :at,"
            " 1, 1, false, '[]', '[]', '[]', :at)"
        ),
        {"id": story_id, "url": f"https://n.example/{story_id}", "at": at},
    )
