"""One place for every setting: environment variables and `.env`, read once by pydantic-settings."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
USER_AGENT = "Briefings/0.1 (Korean company-news briefings; feed reader)"


class Settings(BaseSettings):
    """Environment contract (see README, Configuration). Every field maps to an upper-case variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    briefings_home: Path = Path("./var")
    database_url: str | None = None
    briefings_tz: str = "Asia/Seoul"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_token_key: str | None = None  # Fernet key: Slack tokens are stored encrypted when set
    port: int = 3000

    # Gatherer limits: generous for real outlets, small enough that one bad feed cannot stall a cycle.
    fetch_concurrency: int = Field(default=32, ge=1)
    fetch_per_host: int = Field(default=4, ge=1)
    fetch_connect_timeout: float = 5.0
    fetch_read_timeout: float = 10.0
    fetch_total_timeout: float = 20.0
    fetch_max_bytes: int = 8 * 1024 * 1024
    fetch_max_redirects: int = 5
    feed_interval_seconds: int = 900
    user_agent: str = USER_AGENT
    # Loopback, private and link-local addresses are refused unless this is set (tests, intranets).
    feeds_allow_private: bool = False
    # Feeds are parsed in this many worker processes, each parse stopped after `parse_timeout` s.
    parse_processes: int = Field(default=2, ge=1, le=32)
    parse_timeout: float = Field(default=20.0, gt=0)
    # How long a fetcher's claim on a feed lasts when the fetcher dies without releasing it.
    feed_lease_seconds: int = Field(default=600, ge=30)

    briefing_time: str = "08:00"
    briefing_grace_hours: float = 3.0
    retention_days: int = 30
    # The digester analyses at most this many characters of a body (the headline is capped apart):
    # one oversized feed item can then cost no more than a long article.
    digest_max_chars: int = Field(default=10_000, ge=1_000, le=1_000_000)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_is_https(cls, value: str) -> str:
        """A stray `.env` must not send the bot token to a plain-http host: https, or loopback only."""
        parts = urlsplit(value.strip())
        allowed = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
        if not allowed or not parts.hostname:
            raise ValueError(
                f"SLACK_API_URL은 https 주소여야 합니다 (http는 127.0.0.1/localhost만 허용): {value[:80]}"
            )
        return value.strip()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.briefings_tz)

    @property
    def db_url(self) -> str:
        """The configured URL, or an SQLite file under BRIEFINGS_HOME (created on demand)."""
        if self.database_url:
            return self.database_url
        home = self.briefings_home.expanduser()
        home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(home / 'briefings.db').resolve()}"


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
