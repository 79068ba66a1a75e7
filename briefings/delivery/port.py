"""The posting port: what delivery needs from a chat service, and the errors it may raise.

`bot.deliver.SlackPoster` implements it with slack_sdk; the domain never imports Slack. A `Poster` is
generic in its message type, so the domain carries composed messages without knowing Block Kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from briefings.delivery.decide import Seen

M = TypeVar("M", contravariant=True)


class Shows(Protocol):
    """A composed message, as far as delivery reads it: the stories it shows (recorded once posted)."""

    @property
    def story_ids(self) -> tuple[int, ...]: ...


class PermanentError(Exception):
    """The service refused for good (the channel is gone, we were removed): recorded, not retried."""


class TransientError(Exception):
    """The service or the network failed for now: retried on a later tick, within the attempts cap.

    `in_doubt`: the last try may have taken effect (a 5xx, a lost connection), so the part stays in
    doubt for the next attempt to check; a clear refusal (an error answer, a 429) posted nothing.
    """

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


@dataclass(frozen=True)
class BriefingKey:
    """Names one briefing in the messages' metadata, so a successor can recognise what was posted."""

    team_id: str
    channel_id: str
    briefing_date: date
    # What else than the day's briefing the message is (a spike alert's "alert:<company id>"), so a
    # channel's briefing and its alerts of one day are never taken for one another.
    subject: str = ""


class Poster(Protocol[M]):
    def destination(self, channel_id: str, *, is_dm: bool) -> str:
        """Where to post: the channel itself, or the DM opened with a user."""
        ...

    def join(self, channel: str) -> bool:
        """Become a member of a public channel before its first post, so its history stays readable.
        True when the app is (now) a member or membership is implied (private channel, DM)."""
        ...

    def find_top(self, channel: str, key: BriefingKey, *, oldest: datetime) -> tuple[Seen, str | None]:
        """Part 1 of the briefing in the channel since `oldest`, with its ts when found. One read only."""
        ...

    def find_part(self, channel: str, thread_ts: str, key: BriefingKey, part: int) -> Seen:
        """Whether a thread part of the briefing is among the replies. One read only."""
        ...

    def post(
        self,
        channel: str,
        message: M,
        *,
        key: BriefingKey,
        part: int,
        parts: int,
        thread_ts: str | None,
        guard: Callable[[], None],
        oldest: datetime,
    ) -> str:
        """Post one part; returns its ts. `guard` is called before every attempt (and during long waits):
        it renews the lease and raises when the briefing is no longer ours, so nothing goes out then.
        `oldest` (the briefing's first claim) bounds the search for a post whose answer was lost."""
        ...

    def permalink(self, channel: str, message_ts: str) -> str | None:
        """The link to a posted message (a follow-up's "이어지는 소식" points there). None when the service
        cannot tell now (the message is gone, rate limited): the caller keeps its other link."""
        ...

    def user_tz(self, user_id: str) -> str | None:
        """The user's own time zone (IANA name), None when unknown."""
        ...
