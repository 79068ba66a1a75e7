"""A story's themes read off its articles' (`briefings.digest.themes.story_themes`), on real stories of
the tera-rss corpus from the story dev set's tuning days (bench/devset/stories.jsonl).

What readers see (briefings, `/news`, theme follows and filters) is the story's themes: what the
story is substantially about, which one outlet's wording alone may miss or overstate.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from briefings.digest.pipeline import ArticleInput, build_digester, digest_pending, group_analyses
from briefings.digest.themes import story_themes
from briefings.models import Article, Story
from tests.conftest import corpus_path
from tests.digest.helpers import TERA_ITEMS, shared_digester, stored_article, tera_inputs

pytestmark = [pytest.mark.kiwi, pytest.mark.corpus]

# KT's demonstration with 퀄컴 and 로데슈바르즈, told by four outlets on 02-11: only the first
# headline says the partners joined hands (손잡고), the others tell the demonstration alone.
KT_RADIO = [10464, 10713, 10795, 10851]
# 파리바게뜨's showcase with LG전자 at ISE, five outlets on 02-11; one headline ("‘K파바’ 번쩍…")
# names no partner, two call the showcase a launch (선봬).
PARIS_LG = [10621, 10629, 10739, 10904, 11288]
# KT's 2025 earnings, three reports on 02-10; one of them adds that the hacking costs land this year.
KT_EARNINGS = [8598, 8697, 8703]


def inputs(lines: list[int]) -> list[ArticleInput]:
    return tera_inputs(corpus_path(*TERA_ITEMS), lines)


def own_and_story_themes(lines: list[int]) -> list[tuple[set[str], set[str], object]]:
    """(the article's own themes, its story's themes, its story) per article, as the digester groups them."""
    digester = shared_digester()
    items = inputs(lines)
    analyses = digester.analyze(items)
    groups = group_analyses(items, analyses, params=digester.story_params)
    return [(set(a.theme_slugs), set(g.themes), g.story) for a, g in zip(analyses, groups, strict=True)]


def test_an_outlet_that_leaves_out_the_partner_gets_the_alliance_from_its_story() -> None:
    rows = own_and_story_themes(KT_RADIO)
    assert len({story for _, _, story in rows}) == 1  # one story of four outlets
    assert [("alliance" in own) for own, _, _ in rows] == [True, False, False, False]
    assert all(story == {"ai", "telecom", "alliance"} for _, story, _ in rows)


def test_a_story_is_about_what_most_of_its_outlets_say() -> None:
    rows = own_and_story_themes(PARIS_LG)
    assert len({story for _, _, story in rows}) == 1
    own = [o for o, _, _ in rows]
    assert set() in own  # the headline that names no partner has no theme of its own
    assert sum("launch" in o for o in own) == 2  # two of five outlets call it a launch
    assert all(story == {"alliance"} for _, story, _ in rows)


def test_a_theme_one_report_mentions_in_passing_is_not_given_to_the_story() -> None:
    rows = own_and_story_themes(KT_EARNINGS)
    assert len({story for _, _, story in rows}) == 1
    assert sum("security" in own for own, _, _ in rows) == 1
    assert all(story == {"earnings"} for _, story, _ in rows)


def test_the_rule_weighs_the_first_article_and_the_share_of_articles() -> None:
    deal, share_move = [("mna", 6.0)], [("earnings", 2.5)]
    assert story_themes([deal]) == ["mna"]
    assert story_themes([deal, share_move]) == ["mna"]  # the first report tells the event
    assert story_themes([share_move, deal, deal]) == ["mna", "earnings"]  # 2 of 4 weights each
    assert story_themes([deal, share_move, share_move, share_move]) == ["earnings", "mna"]
    assert story_themes([deal, *[[]] * 4]) == []  # one report of six weights is no story theme
    assert story_themes([]) == []
    assert story_themes([[("ai", 3.0), ("cloud", 2.0), ("launch", 2.0)]], limit=2) == ["ai", "cloud"]


def _store(session: Session, lines: list[int]) -> None:
    for item in inputs(lines):
        published = item.published
        assert published is not None and item.url is not None
        stored_article(
            session,
            url=item.url,
            title=item.title,
            body=item.body,
            outlet=item.outlet,
            title_key=item.title,
            published=published,
            seen=published,
        )


def test_a_stored_story_told_over_two_digests_is_judged_on_all_its_articles(
    sessions: sessionmaker[Session],
) -> None:
    # The first flash report is digested last: until then the hacking report heads a story of two,
    # which is then about both.
    first, later = KT_EARNINGS[1:], KT_EARNINGS[:1]
    with sessions.begin() as s:
        _store(s, first)
    last = max(it.published for it in inputs(KT_EARNINGS) if it.published is not None)
    now = last + timedelta(hours=1)
    with sessions() as s:
        digester = build_digester(s, now=now)
        digest_pending(s, digester, now=now)
    with sessions() as s:
        ids = set(s.scalars(select(Article.story_id)))
        assert len(ids) == 1
        story = s.get(Story, ids.pop())
        assert story is not None and story.articles_count == 2
        before = list(story.themes)
    with sessions.begin() as s:
        _store(s, later)
    with sessions() as s:
        digest_pending(s, digester, now=now)
    with sessions() as s:
        stories = list(s.scalars(select(Story)))
        assert len(stories) == 1 and stories[0].articles_count == 3
        assert stories[0].themes == ["earnings"]
    assert before == ["earnings", "security"]
