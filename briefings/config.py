"""One place for every setting: environment variables and `.env`, read once by pydantic-settings.

Every field carries its allowed range and a Korean description of what it accepts. A bad value stops
the process at start-up with one Korean line per variable (`SettingsError`) naming the variable, the
value and what is allowed, instead of a pydantic report or an exception raised later, deep inside a job.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
USER_AGENT = "Briefings/0.1 (Korean company-news briefings; feed reader)"

# The drivers the project is built and tested with; plain `postgresql://` (and Heroku-style
# `postgres://`) means psycopg 3, the PostgreSQL driver the package installs.
DATABASE_DRIVERS = ("sqlite", "postgresql+psycopg")
_POSTGRES_ALIASES = ("postgres", "postgresql")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SHOWN_CHARS = 60


class Settings(BaseSettings):
    """Environment contract (see README, Configuration). Every field maps to an upper-case variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    briefings_home: Path = Field(Path("./var"), description="디렉터리 경로 (내장 SQLite 파일을 두는 곳)")
    database_url: str | None = Field(
        None,
        description="sqlite:///파일경로 또는 postgresql+psycopg://사용자:암호@호스트:포트/DB이름",
    )
    briefings_tz: str = Field("Asia/Seoul", description="IANA 시간대 이름 (예: Asia/Seoul, UTC)")

    slack_bot_token: str | None = Field(None, description="Slack 봇 토큰 (xoxb-…)")
    slack_signing_secret: str | None = Field(None, description="Slack 앱의 Signing Secret")
    slack_app_token: str | None = Field(None, description="Socket Mode 앱 토큰 (xapp-…)")
    slack_client_id: str | None = Field(None, description="Slack 앱의 Client ID")
    slack_client_secret: str | None = Field(None, description="Slack 앱의 Client Secret")
    slack_api_url: str = Field(
        "https://slack.com/api/", description="https 주소 (http는 127.0.0.1/localhost만)"
    )
    # Fernet key: Slack tokens are stored encrypted when set.
    slack_token_key: str | None = Field(None, description="Fernet 키 (`briefings token-key`로 만듭니다)")
    port: int = Field(3000, ge=1, le=65535, description="1~65535 사이의 포트 번호")
    # Where `briefings web` is reachable from outside (https://briefings.example.com): story and company
    # pages and chart images are linked under it; unset, answers carry no links and charts are uploaded.
    briefings_public_url: str | None = Field(
        None, description="http(s) 주소 (예: https://briefings.example.com)"
    )

    # Gatherer limits: generous for real outlets, small enough that one bad feed cannot stall a cycle.
    fetch_concurrency: int = Field(32, ge=1, le=512, description="1~512 사이의 정수 (동시 수집 피드 수)")
    fetch_per_host: int = Field(4, ge=1, le=64, description="1~64 사이의 정수 (호스트당 동시 연결 수)")
    fetch_connect_timeout: float = Field(5.0, gt=0, le=300, description="0초 초과 300초 이하의 숫자")
    fetch_read_timeout: float = Field(10.0, gt=0, le=300, description="0초 초과 300초 이하의 숫자")
    fetch_total_timeout: float = Field(20.0, gt=0, le=600, description="0초 초과 600초 이하의 숫자")
    fetch_max_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024, description="1024~536870912 바이트 (1 KiB~512 MiB)"
    )
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="0~20 사이의 정수")
    feed_interval_seconds: int = Field(900, ge=60, le=86400, description="60~86400 사이의 정수 (초)")
    user_agent: str = Field(USER_AGENT, min_length=1, max_length=300, description="1~300자의 한 줄 문자열")
    # Loopback, private and link-local addresses are refused unless this is set (tests, intranets).
    feeds_allow_private: bool = Field(False, description="참/거짓 (1/0, true/false)")
    # Feeds are parsed in this many worker processes, each parse stopped after `parse_timeout` s.
    parse_processes: int = Field(2, ge=1, le=32, description="1~32 사이의 정수 (피드 해석 프로세스 수)")
    parse_timeout: float = Field(20.0, gt=0, le=600, description="0초 초과 600초 이하의 숫자")
    # How long a fetcher's claim on a feed lasts when the fetcher dies without releasing it.
    feed_lease_seconds: int = Field(600, ge=30, le=86400, description="30~86400 사이의 정수 (초)")

    briefing_time: str = Field("08:00", description="HH:MM 형식의 시각 (00:00~23:59)")
    briefing_grace_hours: float = Field(3.0, ge=0, le=24, description="0~24 사이의 숫자 (시간)")
    retention_days: int = Field(30, ge=1, le=3650, description="1~3650 사이의 정수 (일)")
    # The digester analyses at most this many characters of a body (the headline is capped apart):
    # one oversized feed item can then cost no more than a long article.
    digest_max_chars: int = Field(
        10_000, ge=1_000, le=1_000_000, description="1000~1000000 사이의 정수 (분석할 본문 글자 수)"
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # DATABASE_URL= (empty, as compose files write it) means the default
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError("not a URL") from None
        driver = url.drivername
        if driver in _POSTGRES_ALIASES:
            url = url.set(drivername="postgresql+psycopg")
        elif driver == "sqlite+pysqlite":
            url = url.set(drivername="sqlite")
        elif driver not in DATABASE_DRIVERS:
            raise ValueError(f"unsupported driver {driver}")
        return url.render_as_string(hide_password=False)

    @field_validator("briefings_tz")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        key = value.strip()
        try:
            ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return key

    @field_validator("briefing_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        m = _HHMM.match(value.strip())
        if m is None:
            raise ValueError("not HH:MM")
        return f"{int(m.group(1)):02d}:{m.group(2)}"

    @field_validator("user_agent")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(unicodedata.category(ch) == "Cc" for ch in value) or not value.strip():
            raise ValueError("control characters")
        return value.strip()

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

    @field_validator("briefings_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("not an http(s) URL")
        return value.strip().rstrip("/")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.briefings_tz)

    @property
    def db_url(self) -> str:
        """The configured URL, or an SQLite file under BRIEFINGS_HOME (created on demand)."""
        if self.database_url:
            return self.database_url
        home = self.briefings_home.expanduser()
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                [_line("briefings_home", str(self.briefings_home), f"쓸 수 있는 디렉터리 ({exc.strerror})")]
            ) from None
        return f"sqlite:///{(home / 'briefings.db').resolve()}"


class SettingsError(ValueError):
    """Settings that cannot be used: `lines` holds one Korean sentence per bad variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _has_hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)


def _shown(field: str, value: object) -> str:
    """The value as the operator typed it, cut short; secrets show only their kind (xoxb-…)."""
    text = value if isinstance(value, str) else str(value)
    if field == "database_url":
        with contextlib.suppress(ArgumentError):
            text = make_url(text.strip()).render_as_string(hide_password=True)
    if "token" in field or "secret" in field:
        return f"{text[:5]}…({len(text)}자)" if len(text) > 5 else "…"
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else "?" for ch in text)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _line(field: str, value: object, allowed: str) -> str:
    return f"설정 {field.upper()} 값이 올바르지 않습니다: '{_shown(field, value)}'. 허용되는 값: {allowed}"


def describe(error: ValidationError) -> list[str]:
    """One Korean line per bad variable of a pydantic validation error."""
    lines: list[str] = []
    seen: set[str] = set()
    for item in error.errors():
        field = str(item["loc"][0]) if item.get("loc") else "?"
        if field in seen:
            continue
        seen.add(field)
        info = Settings.model_fields.get(field)
        allowed = (info.description if info is not None else None) or "문서의 설정 표를 보세요"
        ctx_error = (item.get("ctx") or {}).get("error")
        if ctx_error is not None and _has_hangul(str(ctx_error)):
            allowed = str(ctx_error)  # a validator that explains itself in Korean says it best
        lines.append(_line(field, item.get("input", ""), allowed))
    return lines


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `.env`), or `SettingsError` naming every bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
