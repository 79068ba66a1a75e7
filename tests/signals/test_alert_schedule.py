"""The scheduler checks for spikes right after a digest that stored something, and only then."""

from __future__ import annotations

from datetime import datetime

import time_machine
from sqlalchemy.orm import Session, sessionmaker

from bot.deliver import DeliverOptions
from bot.scheduler import Jobs
from briefings.jobs import Digest
from tests.fakes.slack_api import FakeSlack
from tests.signals.conftest import NOW, burst, follow, history, make_settings


class CountingDigest(Digest):
    """Stands in for Kiwi: reports `digested` articles per run (the stories are already stored)."""

    def __init__(self) -> None:
        super().__init__()
        self.digested = 0

    def run(self, sessions: sessionmaker[Session], *, now: datetime) -> int:
        return self.digested


def test_alerts_are_posted_after_a_digest_that_stored_something(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        history(session, "화웨이")
        burst(session, "화웨이")
        follow(session, "T1", "C1", ["화웨이"])
    url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    digest = CountingDigest()
    jobs = Jobs(
        make_settings(url, fake_slack), sessions, digest=digest, options=DeliverOptions(channel_interval=0)
    )
    with time_machine.travel(NOW, tick=False):
        assert jobs.gather().digested == 0
        assert fake_slack.posted("C1") == []  # nothing new was digested: no check
        digest.digested = 11
        assert jobs.gather().digested == 11
        assert len(fake_slack.posted("C1")) == 1
        assert jobs.gather().digested == 11
    assert len(fake_slack.posted("C1")) == 1
