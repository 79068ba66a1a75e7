"""The schema, as typed SQLAlchemy 2 models. Alembic migrations create it; `metadata.create_all` never does.

Times are stored as naive UTC and always come back as aware UTC (`UTCDateTime`), so SQLite and
PostgreSQL behave the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from briefings.timeutil import as_utc

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: one behaviour on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


def _postgresql_only(index: Index) -> Index:
    """An index created on PostgreSQL alone (`compared_on` leaves it out of other databases' checks)."""
    index.info["dialects"] = ("postgresql",)
    return index.ddl_if(dialect="postgresql")


def compared_on(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's `include_object` for `dialect`: what the models create only on other databases is
    not expected there (`_postgresql_only`)."""

    def include(obj: Any, _name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
        dialects = getattr(obj, "info", {}).get("dialects")
        return reflected or dialects is None or dialect in dialects

    return include


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


# --- gathering ---------------------------------------------------------------------------------


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    outlet: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(50))
    full_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=900, server_default=text("900"))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The kind of the latest failure (briefings.gather.failures): what people are told, in Korean.
    last_kind: Mapped[str | None] = mapped_column(String(32))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Dates without an offset are read in this zone (None: BRIEFINGS_TZ); `utc_is_local` reads a
    # "Z"/GMT as this zone too, for feeds that stamp local wall-clock time with a wrong "Z".
    tz: Mapped[str | None] = mapped_column(String(64))
    utc_is_local: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # A fetcher's claim on the feed until `lease_until`: one fetch per feed across workers.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]


class FetchAttempt(Base):
    """One row per feed per gather cycle: the coverage a briefing's footer reports honestly."""

    __tablename__ = "fetch_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int | None] = mapped_column(Integer)
    new_articles: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(32))


class Article(Base):
    """One row per distinct article, whatever number of feeds or edits it was seen through."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_outlet_guid_key", "outlet", "guid_key"),
        Index("ix_articles_outlet_title_key", "outlet", "title_key"),
        # A search without a company turns each posting's article into its story (id -> story_id) and
        # checks a story's articles (story_id -> id): with both columns in the index, PostgreSQL answers
        # from the index alone instead of reading each article's row. SQLite needs neither: its rowid
        # table and (story_id) index already hold both, and extra indexes there only change its plans.
        _postgresql_only(Index("ix_articles_id_story_id", "id", postgresql_include=["story_id"])),
        Index("ix_articles_story_id", "story_id", postgresql_include=["id"]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The publisher's link as given (tracking parameters removed): what briefings link to.
    url: Mapped[str] = mapped_column(String(2048))
    # Its canonical form (sorted parameters, normalised escapes), the dedupe key's source.
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    # sha1 of the canonical URL: a fixed-width unique key whatever the URL's length.
    url_key: Mapped[str] = mapped_column(String(40), unique=True)
    guid: Mapped[str | None] = mapped_column(String(2048))
    guid_key: Mapped[str | None] = mapped_column(String(40))
    title_key: Mapped[str] = mapped_column(String(40))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"), index=True)
    outlet: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(index=True)
    seen_at: Mapped[datetime]
    digested_at: Mapped[datetime | None]
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_pruned_at: Mapped[datetime | None]
    # Why the digester could not analyse this article (it is skipped, the rest go on).
    digest_error: Mapped[str | None] = mapped_column(Text)
    # `DigestState.seq` of the batch that digested it: how another process's window catches up.
    digest_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)

    mentions: Mapped[list[Mention]] = relationship(back_populates="article", cascade="all, delete-orphan")


# Pending work for the digester, in the order it is taken: a real partial index on both databases.
_PENDING = text("digested_at IS NULL AND digest_error IS NULL")
Index(
    "ix_articles_pending",
    Article.published_at,
    Article.id,
    sqlite_where=_PENDING,
    postgresql_where=_PENDING,
)


# --- understanding -----------------------------------------------------------------------------


class Company(Base):
    __tablename__ = "companies"
    # A ticker names one company in its market (NULL markets and tickers are never equal).
    __table_args__ = (UniqueConstraint("market", "ticker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10), default="company")  # "company" or "group"
    ticker: Mapped[str | None] = mapped_column(String(20), index=True)
    market: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="KR")
    group_name: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(10), default="registry")  # "registry" or "operator"
    created_at: Mapped[datetime]

    aliases: Mapped[list[CompanyAlias]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="CompanyAlias.id"
    )


class RegistryState(Base):
    """One row: the registry's version, bumped by every write, and the hash of the last seeded file.

    Long-running processes key their company caches on the version, so an operator's change is seen
    at the next request; seeding compares the hash, so a release's new aliases reach old databases.
    """

    __tablename__ = "registry_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), default="")


class RegistryRemoval(Base):
    """What an operator took out of the packaged registry, so that seeding never puts it back.

    `alias` is "" for a whole company (`companies remove`), else the one alias taken away
    (`companies unalias`). Adding the company or the alias again lifts it.
    """

    __tablename__ = "registry_removals"

    company_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True, default="")
    removed_at: Mapped[datetime]


class CompanyAlias(Base):
    __tablename__ = "company_aliases"
    __table_args__ = (UniqueConstraint("company_id", "alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(100), index=True)
    # An alias that is also an ordinary word (애플망고, 기아 = hunger) counts only with company context.
    needs_context: Mapped[bool] = mapped_column(Boolean, default=False)

    company: Mapped[Company] = relationship(back_populates="aliases")


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_company_primary", "company_id", "is_primary"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean)
    salience: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)

    article: Mapped[Article] = relationship(back_populates="mentions")


class ArticleTheme(Base):
    __tablename__ = "article_themes"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)


class ArticleTerm(Base):
    """Morpheme index for Korean full-text search that works the same on SQLite and PostgreSQL."""

    __tablename__ = "article_terms"
    __table_args__ = (
        # A search asks which stories carry a term: with the article's story in the postings,
        # PostgreSQL answers "this story has the word" with one probe of (term, story_id) instead of
        # one per article of the story, and turns a word's postings into stories from the key alone.
        # SQLite reads the same from its rowid table and the (story_id) index of articles.
        PrimaryKeyConstraint("term", "article_id", postgresql_include=["story_id"]),
        _postgresql_only(
            Index("ix_article_terms_term_story_id", "term", "story_id", postgresql_include=["article_id"])
        ),
    )

    term: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    # The article's `story_id`, copied when the digester assigns it (the only place it is set; a
    # re-digested article's terms are written again). Not a foreign key: a story is never deleted
    # while its articles' terms remain, and a cascade would need an index led by story_id.
    story_id: Mapped[int | None] = mapped_column(BigInteger)


class Story(Base):
    """The same event reported by many outlets. Counters are kept on the row so lookups stay cheap."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_last_published_at", "last_published_at"),
        # The most outlets of any story bounds every score (`briefings.lookup._score_ceiling`).
        Index("ix_stories_outlets_count", "outlets_count"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    headline: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2048))
    # Not a foreign key: articles already point at stories, and a cycle would complicate deletes.
    representative_article_id: Mapped[int | None] = mapped_column(BigInteger)
    first_outlet: Mapped[str] = mapped_column(String(200))
    first_published_at: Mapped[datetime]
    last_published_at: Mapped[datetime]
    outlets_count: Mapped[int] = mapped_column(Integer, default=1)
    articles_count: Mapped[int] = mapped_column(Integer, default=1)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    outlets: Mapped[list[str]] = mapped_column(JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # One or two sentences of its own articles (digest/summary.py); None when no article has a lead.
    summary: Mapped[str | None] = mapped_column(Text)
    # The earlier story this one develops (digest/follow_ups.py). Not a foreign key, as above.
    follow_up_of_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime]

    companies: Mapped[list[StoryCompany]] = relationship(back_populates="story", cascade="all, delete-orphan")


class StoryCompany(Base):
    __tablename__ = "story_companies"
    __table_args__ = (Index("ix_story_companies_company_story", "company_id", "is_primary", "story_id"),)

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean)
    # Copied from the story so "top stories of company X lately" is answered from one index.
    last_published_at: Mapped[datetime]

    story: Mapped[Story] = relationship(back_populates="companies")


class HourFirstIds(Base):
    """For each hour (UTC), a lower bound of the ids of the stories last updated in it and of the
    articles published in it: where a window's id range starts (`briefings.lookup._first_id`).

    Kept by triggers of the database (migration 0019), so every writer keeps it (the gatherer, the
    digester, bulk loads): a row written with a date in an hour lowers that hour's bound to the row's
    id when smaller. Bounds are never raised, so a story moved to a later hour or a deleted row only
    leaves a looser bound. A window from hour H starts at the least bound of H and every later hour.
    """

    __tablename__ = "hour_first_ids"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    story_id: Mapped[int | None] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(BigInteger)


class DigestState(Base):
    """The digest's shared progress: `seq` grows by one with every committed batch of stories.

    Story assignment takes this row's lock (on PostgreSQL an advisory lock as well), so batches are
    assigned one at a time in every process, and a process whose window stands at an older `seq`
    reads only the articles digested since.
    """

    __tablename__ = "digest_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    updated_at: Mapped[datetime | None]


class JobLease(Base):
    """Who runs a scheduled job right now: one process at a time, whatever number share the database."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None]


# --- Slack side: who wants what, and what was delivered ----------------------------------------


class Channel(Base):
    """A briefing destination: a channel, or a user's DM for personal subscriptions (is_dm)."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # The Enterprise Grid organisation of the workspace (None outside Grid): finds the org-wide token.
    enterprise_id: Mapped[str | None] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    is_dm: Mapped[bool] = mapped_column(Boolean, default=False)
    briefing_time: Mapped[str] = mapped_column(String(5), default="08:00")
    # daily | weekdays | weekly:<0-6> | twice:<HH:MM>,<HH:MM> (briefings.cadence)
    cadence: Mapped[str] = mapped_column(String(20), default="daily", server_default=text("'daily'"))
    timezone: Mapped[str | None] = mapped_column(String(64))
    post_when_empty: Mapped[bool] = mapped_column(Boolean, default=True)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_briefed_at: Mapped[datetime | None]
    # The end of the window the last briefing covered: the next one starts exactly there.
    covered_until: Mapped[datetime | None]
    # A DM's user's time zone from Slack's profile (users.info), and when it was read.
    user_tz: Mapped[str | None] = mapped_column(String(64))
    user_tz_checked_at: Mapped[datetime | None]
    # When the app joined this public channel (so it can read its own posts back after a crash).
    joined_at: Mapped[datetime | None]
    # How readily spike alerts are posted here: 민감 | 보통 | 둔감 | 끔 (briefings.signals.spikes).
    alert_sensitivity: Mapped[str] = mapped_column(String(8), default="보통", server_default="보통")
    created_at: Mapped[datetime]


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "company_id"),
        # Every subscription has its channel row (briefing time, time zone, what was covered).
        ForeignKeyConstraint(
            ["team_id", "channel_id"],
            ["channels.team_id", "channels.channel_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    is_dm: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class SavedQuery(Base):
    """A keyword subscription (`/news 구독 "HBM"`, `구독 "폴더블" 삼성전자`) or a group followed with its
    affiliates (`구독 카카오 +계열사`): one briefing section each.

    `search` is the query as read when it was saved (`briefings.saved_queries.search_json`): companies,
    index terms, themes and outlets, so a briefing run answers it without the analyser.
    """

    __tablename__ = "saved_queries"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "label"),
        ForeignKeyConstraint(
            ["team_id", "channel_id"],
            ["channels.team_id", "channels.channel_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    search: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class StoryFeedback(Base):
    """A 👍 or 👎 on a story in a channel's briefing, one per user and story (a DM is one user's).

    The story's themes and outlet are copied at the click, so the channel's ranking can weigh them
    without reading the stories again, and a vote outlives the story's own retention.
    """

    __tablename__ = "story_feedback"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "user_id", "story_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    story_id: Mapped[int] = mapped_column(BigInteger)
    vote: Mapped[int] = mapped_column(Integer)  # +1 or -1
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    outlet: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class ClaimColumns:
    """The columns of a claim, shared by every table claimed before posting (briefings.delivery.claims)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # claimed | retry | posted | empty | skipped | failed | unconfirmed
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]  # the first claim: nothing of this message was posted before it
    # Fencing: every claim or takeover bumps it; a worker writes (and posts) only under its own.
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    heartbeat_at: Mapped[datetime | None]  # renewed before every part: the lease runs from here
    parts_posted: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    posting_part: Mapped[int | None] = mapped_column(Integer)  # sent, answer not yet recorded
    posted_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ChannelFilter(Base):
    """What a channel (or a user's DM) asked never to see: a keyword, an outlet, a theme or one story.

    A keyword keeps the index terms it was read as when added (`readings`, see
    `briefings.lookup.word_readings`), so applying a filter never needs the analyser.
    """

    __tablename__ = "channel_filters"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "kind", "value"),
        ForeignKeyConstraint(
            ["team_id", "channel_id"],
            ["channels.team_id", "channels.channel_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))  # keyword | outlet | theme | story
    value: Mapped[str] = mapped_column(String(200))
    readings: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Delivery(ClaimColumns, Base):
    """A briefing for (team, channel, date, slot): claimed before posting, recorded after; never twice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "briefing_date", "slot"),
        Index("ix_deliveries_status", "status"),
    )

    briefing_date: Mapped[date] = mapped_column(Date)
    # Which of the day's briefings (briefings.cadence): 0 the first, 1 the second of twice a day.
    slot: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    covered_since: Mapped[datetime | None]
    covered_until: Mapped[datetime | None]


class ShownStory(Base):
    """A story a posted briefing showed, with the message (part) that showed it: a later follow-up's
    "이어지는 소식" links that message in the same channel. One row per story and briefing."""

    __tablename__ = "shown_stories"
    __table_args__ = (
        UniqueConstraint("delivery_id", "story_id"),
        # A briefing's follow-ups look up the channel's earlier messages of their stories at once.
        Index("ix_shown_stories_channel_story", "team_id", "channel_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("deliveries.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))  # as the briefing's subscriptions name it
    # Where the message is: the channel itself, or the DM opened for a user's personal briefing.
    conversation_id: Mapped[str] = mapped_column(String(32))
    story_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), index=True
    )
    part: Mapped[int] = mapped_column(Integer)
    message_ts: Mapped[str] = mapped_column(String(32))
    # Slack's link to the message (chat.getPermalink), kept once asked so it is asked only once.
    permalink: Mapped[str | None] = mapped_column(String(500))
    posted_at: Mapped[datetime] = mapped_column(index=True)


class AlertClaim(ClaimColumns, Base):
    """A spike alert for (team, channel, company, KST day): at most one, claimed like a briefing."""

    __tablename__ = "alert_claims"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "company_id", "alert_date"),)

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    alert_date: Mapped[date] = mapped_column(Date, index=True)
    # What the alert said, kept for the record: today's count, the expected one, the tail probability.
    stories: Mapped[int] = mapped_column(Integer, default=0)
    expected: Mapped[float] = mapped_column(Float, default=0.0)
    p_value: Mapped[float] = mapped_column(Float, default=1.0)


class HandledEvent(Base):
    """A Slack event already acted on: Slack retries an event it thinks was lost (same `event_id`),
    and a retried uninstall must not remove what a reinstall made in between."""

    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    handled_at: Mapped[datetime] = mapped_column(index=True)
