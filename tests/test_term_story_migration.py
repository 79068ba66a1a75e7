"""The postings migration on a database with rows: each posting gets its article's story."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from briefings.db import make_engine, upgrade
from tests.migration_rows import insert_story


def test_postings_get_their_articles_story(empty_url: str) -> None:
    upgrade(empty_url, "0017")
    engine = make_engine(empty_url)
    at = datetime(2026, 11, 1, 9, 0)
    try:
        with engine.begin() as conn:
            insert_story(conn, 3, at)
            for article_id, story_id in ((10, 3), (11, None)):  # one article outside any story
                conn.execute(
                    text(
                        "INSERT INTO articles (id, url, url_key, title_key, outlet, title, summary,"
                        " published_at, seen_at, story_id) VALUES (:i, :u, :k, :k, '연합뉴스', '반도체 수출',"
                        " '', :at, :at, :s)"
                    ),
                    {
                        "i": article_id,
                        "u": f"https://n.example/a{article_id}",
                        "k": f"{article_id:040d}",
                        "at": at,
                        "s": story_id,
                    },
                )
                for term in ("반도체", "수출"):
                    conn.execute(
                        text("INSERT INTO article_terms (term, article_id) VALUES (:t, :i)"),
                        {"t": term, "i": article_id},
                    )
        upgrade(empty_url)
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT term, article_id, story_id FROM article_terms ORDER BY article_id, term")
            ).all()
        assert rows == [("반도체", 10, 3), ("수출", 10, 3), ("반도체", 11, None), ("수출", 11, None)]
    finally:
        engine.dispose()
