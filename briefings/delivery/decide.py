"""The decisions of one delivery, as a frozen dataclass of data and `now`: no I/O.

The orchestration asks the `Decider` two things. `check()`: before anything is posted, must Slack be
read to learn whether a previous attempt's post went through (only the part that was in flight when
that attempt stopped is ever in doubt: every finished part is recorded)? `decide()`: given that answer
and the composed briefing, post (some or all parts), skip (the grace window passed with nothing
posted, or the day's next slot is due already), record an empty day, or settle as posted without
posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from briefings.timeutil import as_utc


class Check(StrEnum):
    NONE = "none"  # the record says exactly what is in Slack
    TOP = "top"  # part 1 was in flight: look for it in the channel history
    THREAD = "thread"  # a thread part was in flight: look for it among the replies


class Seen(StrEnum):
    """What one read of Slack told about the part in doubt."""

    FOUND = "found"
    ABSENT = "absent"
    UNREADABLE = "unreadable"  # not a member, no scope, more than one page since the claim
    LATER = "later"  # rate limited: ask again on a later tick


class Action(StrEnum):
    POST = "post"  # post parts `first`.. (a recovery when first > 1)
    SKIP = "skip"  # too late and nothing was posted
    EMPTY = "empty"  # nothing to say and the channel asked for silence
    SETTLE = "settle"  # everything is already in Slack (or cannot be known): record it, post nothing
    RETRY = "retry"  # undecidable now; release the claim for a later tick
    FAIL = "fail"  # attempts used up


@dataclass(frozen=True)
class Held:
    """The claim as the store returned it: what earlier attempts of this briefing left behind."""

    attempts: int
    message_ts: str | None
    parts_posted: int  # parts 1..parts_posted are in Slack (their post was answered)
    posting_part: int | None  # the part whose post was sent but not answered when the attempt stopped


@dataclass(frozen=True)
class Decision:
    action: Action
    first: int = 1  # the first part to post
    note: str | None = None  # recorded on the delivery (why it was skipped, settled unconfirmed, ...)

    @property
    def recovered(self) -> bool:
        return self.action in (Action.POST, Action.SETTLE) and self.first > 1


@dataclass(frozen=True)
class Decider:
    held: Held
    due_at: datetime
    now: datetime  # the run's instant: lateness is judged once per run
    grace: timedelta
    max_attempts: int
    # The day's next slot (twice a day): once it is due, this one, if nothing of it went out, gives
    # way to it, so a late start never posts two briefings back to back. Its stories are not lost:
    # `covered_until` moves only with a posted briefing, so the next slot covers them.
    next_due_at: datetime | None = None

    def exhausted(self) -> Decision | None:
        if self.held.attempts > self.max_attempts:
            return Decision(Action.FAIL, note="시도 횟수 초과")
        return None

    def check(self) -> Check:
        if self.held.posting_part is None:
            return Check.NONE
        if self.held.posting_part == 1 or self.held.message_ts is None:
            return Check.TOP
        return Check.THREAD

    def posted_through(self, seen: Seen | None) -> int | Decision:
        """How many parts are surely in Slack, or a decision when that cannot be settled now.

        A part whose fate cannot be read is counted as posted: a briefing missing a part is
        recoverable by reading it in the channel, one posted twice is not ("never twice").
        """
        held = self.held
        exhausted = self.exhausted()
        if exhausted is not None:
            return exhausted
        if held.posting_part is None or seen is None:
            return held.parts_posted
        if seen is Seen.LATER:
            if held.attempts < self.max_attempts:
                return Decision(Action.RETRY, note="게시 여부 확인 대기(Slack 속도 제한)")
            seen = Seen.UNREADABLE  # out of attempts: decide as if it could never be read
        if seen is Seen.ABSENT:
            return held.posting_part - 1
        if seen is Seen.UNREADABLE and held.posting_part == 1:
            return Decision(Action.SETTLE, first=1, note="게시 여부 확인 불가(재게시 안 함)")
        return held.posting_part  # found, or an unreadable thread part: counted as posted

    def decide(self, *, posted: int, parts: int, empty: bool, post_when_empty: bool) -> Decision:
        """`posted` from `posted_through`; `parts` and `empty` from the composed briefing."""
        if posted == 0:
            if self.next_due_at is not None and as_utc(self.now) >= as_utc(self.next_due_at):
                return Decision(Action.SKIP, note="다음 브리핑 시간이 되어 넘김")
            if as_utc(self.now) - as_utc(self.due_at) > self.grace:
                return Decision(Action.SKIP, note="유예 시간 초과")
            if parts == 0 or (empty and not post_when_empty):
                return Decision(Action.EMPTY)
        if posted >= parts:
            return Decision(Action.SETTLE, first=posted + 1)
        return Decision(Action.POST, first=posted + 1)
