"""What every Slack surface needs: the database, the company index, the analyser, the clock, the settings.

Built once by `build_app` and put into every request's Bolt context by `install`, so module-level
listeners take their collaborators from `deps_of(context)` instead of globals, and tests pass their own
clock or analyser.

Listeners run on Bolt's own listener executor (`LISTENER_THREADS` threads): each acknowledges first and
then works in the same thread, so there is one thread pool, and the database pool is sized to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltContext
from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import load_theme_labels
from briefings.companies.store import CachedRegistry, UserDictionary
from briefings.config import Settings
from briefings.db import session_scope
from briefings.lookup import Tokenizer
from briefings.timeutil import utcnow

log = logging.getLogger(__name__)

# Bolt's listener threads: how many answers are worked out at once. Each holds at most one database
# session at a time, so SQLAlchemy's default pool (5 + 10 overflow connections) serves them, and the
# few scheduler jobs `briefings run` adds, without a listener ever waiting for a connection.
LISTENER_THREADS = 10


class TTLCache:
    """A small thread-safe cache whose entries expire after `ttl` seconds (oldest dropped when full)."""

    def __init__(self, ttl: float = 30.0, size: int = 2048) -> None:
        self.ttl = ttl
        self.size = size
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            if time.monotonic() - hit[0] > self.ttl:
                del self._data[key]
                return None
            return hit[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            if len(self._data) >= self.size:
                del self._data[next(iter(self._data))]
            self._data[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass
class BotDeps:
    settings: Settings
    sessions: sessionmaker[Session]
    index: CachedRegistry = field(default_factory=CachedRegistry)
    nlp_factory: Callable[[], Tokenizer] | None = None
    clock: Callable[[], datetime] = utcnow
    theme_labels: dict[str, str] = field(default_factory=load_theme_labels)
    page_size: int = 5
    days: int = 7
    search_days: int = 30
    answers: TTLCache = field(default_factory=TTLCache)

    def __post_init__(self) -> None:
        self._nlp: Tokenizer | None = None
        self._nlp_lock = threading.Lock()

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def now(self) -> datetime:
        return self.clock()

    def nlp(self) -> Tokenizer:
        """The analyser, loaded on the first full-text search only (Kiwi takes seconds to load)."""
        with self._nlp_lock:
            if self._nlp is None:
                if self.nlp_factory is not None:
                    nlp = self.nlp_factory()
                else:
                    from briefings.digest.nlp import get_nlp

                    nlp = get_nlp()
                if isinstance(nlp, UserDictionary):  # the registry's names, as the digester reads them
                    self.index.teach(nlp)
                self._nlp = nlp
            return self._nlp

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.sessions) as session:
            yield session

    def theme_words(self) -> dict[str, str]:
        """Every word a user may type for a theme (slug or label, case-folded) → slug."""
        words: dict[str, str] = {}
        for slug, label in self.theme_labels.items():
            words[slug.casefold()] = slug
            words[label.casefold()] = slug
            for part in label.replace("·", " ").split():
                words.setdefault(part.casefold(), slug)
        return words


_KEY = "briefings_deps"


def install(app: App, deps: BotDeps) -> None:
    """Every request's context carries `deps` (a global middleware, the way Bolt passes shared objects)."""

    @app.middleware
    def put_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context[_KEY] = deps
        next()


def deps_of(context: BoltContext) -> BotDeps:
    deps = context.get(_KEY)
    if not isinstance(deps, BotDeps):
        raise RuntimeError("bot.deps.install(app, deps) was not called")
    return deps
