"""The demo's seeded month of coverage and burst make one real alert through the service's own decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import alert_message
from briefings.models import Feed
from briefings.signals.demo_spike import demo_alerts, seed_demo_spike
from tests.fakes.block_kit import check_message
from tests.signals.conftest import company, follow


@pytest.mark.parametrize("hour", [0, 9, 23])  # any time of the KST day the demo runs (UTC hours)
def test_the_demo_spike_is_one_alert_with_its_stories_and_words(
    sessions: sessionmaker[Session], hour: int
) -> None:
    now = datetime(2026, 12, 1, hour, 5, tzinfo=UTC)
    with sessions.begin() as session:
        company(session, "화웨이")
        follow(session, "TDEMO", "CDEMO", ["화웨이"], since=now - timedelta(days=1))
        session.add(Feed(url="http://127.0.0.1/feeds/a.xml", name="데모", created_at=now))
    # Before the seed: subscribed yesterday, no baseline, no alert.
    assert demo_alerts(sessions, now=now) == []
    seed_demo_spike(sessions, "화웨이", now=now)
    (alert,) = demo_alerts(sessions, now=now)
    assert alert.company_name == "화웨이" and alert.decision.stories == 5
    assert alert.decision.text().startswith("평소 하루 0.")
    assert {"제재", "수출통제"} <= set(alert.words)
    message = alert_message(alert, now=now, tz=UTC)
    assert check_message({"text": message.text, "blocks": message.block_dicts()}) is None
