"""Follow-ups across days on real reports: the later development is linked, not merged."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.digest.follow_ups import FollowUpParams, StoryDigest, follow_up_links, follows, saga_order
from briefings.digest.pipeline import Digester, build_digester, digest_pending, group_analyses, story_article
from briefings.models import Article, Story
from tests.conftest import corpus_path
from tests.digest.helpers import TERA_ITEMS, shared_digester, tera_inputs

pytestmark = pytest.mark.kiwi

FINE = [14996, 15009, 15010, 15209, 16083, 16118, 16475]  # 02-12: the sugar makers' cartel fine
APOLOGY = [16730]  # 02-13 morning: "…제당업계 즉각 사과"
KT_EARNINGS = [8598, 8697, 8703]  # 02-10
KAKAO_EARNINGS = [13439, 13486, 13508]  # 02-12: another firm's earnings, not a development of KT's


@pytest.fixture(scope="module")
def digester() -> Digester:
    return shared_digester()


def _digests(digester: Digester, groups: dict[str, list[int]]) -> list[StoryDigest]:
    lines = [line for g in groups.values() for line in g]
    items = tera_inputs(corpus_path(*TERA_ITEMS), lines)
    analyses = digester.analyze(items)
    arts = {it.id: story_article(it, a) for it, a in zip(items, analyses, strict=True)}
    return [StoryDigest(name, tuple(arts[line] for line in g)) for name, g in groups.items()]


def test_a_later_development_links_to_the_story_it_develops(digester: Digester) -> None:
    digests = _digests(
        digester, {"fine": FINE, "apology": APOLOGY, "kt": KT_EARNINGS, "kakao": KAKAO_EARNINGS}
    )
    links = follow_up_links(digests)
    assert links.get("apology") == "fine"
    assert "kakao" not in links  # the same kind of event at another company is no follow-up
    assert "fine" not in links and "kt" not in links


def test_the_development_is_its_own_story_not_merged(digester: Digester) -> None:
    items = tera_inputs(corpus_path(*TERA_ITEMS), FINE + APOLOGY)
    stories = {g.story for g in group_analyses(items, digester.analyze(items))}
    assert len(stories) == 2


def test_too_soon_or_too_late_is_no_follow_up(digester: Digester) -> None:
    fine, apology = _digests(digester, {"fine": FINE, "apology": APOLOGY})
    assert follows(apology, fine, 1.0)
    assert not follows(apology, fine, 1.0, FollowUpParams(min_gap=timedelta(days=1)))
    assert not follows(apology, fine, 1.0, FollowUpParams(max_gap=timedelta(hours=6)))
    assert not follows(fine, apology, 1.0)  # an earlier story follows nothing later


CONFESSION = [10680, 11210]  # 02-11: a Norwegian biathlete confesses on air after his bronze
EX_ANSWERS = [13274, 15563, 16163]  # 02-12: his former girlfriend answers


def test_digest_stores_the_link_on_the_later_story(sessions: sessionmaker[Session]) -> None:
    items = tera_inputs(corpus_path(*TERA_ITEMS), CONFESSION + EX_ANSWERS)
    with sessions() as s:
        for it in items:
            url = str(it.url)
            s.add(
                Article(
                    url=url,
                    url_key=hashlib.sha1(url.encode()).hexdigest(),
                    title_key=hashlib.sha1(it.title.encode()).hexdigest(),
                    outlet=it.outlet,
                    title=it.title,
                    summary=it.body[:80],
                    body=it.body,
                    published_at=it.published,
                    seen_at=it.published,
                )
            )
        s.commit()
    last = items[-1].published
    assert last is not None
    now = last + timedelta(hours=1)
    with sessions() as s:
        digest_pending(s, build_digester(s, now=now), now=now)
    with sessions() as s:
        by_url = {a.url: a for a in s.query(Article)}
        fine = by_url[str(items[0].url)]
        apology = by_url[str(items[len(CONFESSION)].url)]  # the answer's first report
        assert fine.story_id != apology.story_id
        later = s.get(Story, apology.story_id)
        assert later is not None and later.follow_up_of_id == fine.story_id
        earlier = s.get(Story, fine.story_id)
        assert earlier is not None and earlier.follow_up_of_id is None


SAMG_EARNINGS = [10201]  # 02-11: SAMG엔터's record year
NC_EARNINGS = [9114, 9471]  # 02-10 evening: 엔씨소프트 back to an operating profit
NC_SHARES = [10633, 10716, 10770, 10930]  # 02-11 morning: its shares jump on it


def test_a_share_move_the_next_morning_follows_up_the_earnings_it_reacts_to(digester: Digester) -> None:
    digests = _digests(digester, {"nc": NC_EARNINGS, "samg": SAMG_EARNINGS, "shares": NC_SHARES})
    assert follow_up_links(digests).get("shares") == "nc"


def test_two_firms_records_are_not_one_saga(digester: Digester) -> None:
    # The same kind of news, headlines opening with two different subjects (SAMG엔터 / 카카오).
    digests = _digests(digester, {"samg": SAMG_EARNINGS, "kakao": KAKAO_EARNINGS})
    assert "kakao" not in follow_up_links(digests)


def test_a_saga_is_listed_together_oldest_first_where_its_best_member_ranks() -> None:
    ranked = ["vr", "denial", "trial", "other", "charges"]
    follow_up_of = {"denial": "trial", "charges": "denial", "unseen": "trial"}
    assert saga_order(ranked, follow_up_of) == ["vr", "trial", "denial", "charges", "other"]
    assert saga_order(["b"], {"b": "a"}) == ["b"]  # the earlier story is not on the page
    assert saga_order(["a", "b"], {"a": "b", "b": "a"}) == ["a", "b"]  # a cycle never loops
