"""The pages as a WSGI application: story pages, company pages, coverage charts and one stylesheet.

`briefings web` puts it in front of Bolt's adapter (`bot.server.make_wsgi_app`): a path it `handles`
never reaches Slack's handler. Every answer carries a Content-Security-Policy that allows nothing but
this site's own stylesheet and images (no script at all), so a hostile headline that slipped past
autoescaping still could not run or load anything. Unknown ids are 404s, other methods 405s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import load_theme_labels
from briefings.config import Settings
from briefings.pages import links
from briefings.pages.queries import company_name, load_company, load_story
from briefings.signals.counts import kst_day
from briefings.signals.trend import load_trend
from briefings.timeutil import utcnow

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
# Charts may be asked for any past day up to this far back (older days' news is gone after retention).
CHART_MAX_AGE_DAYS = 400
WEEKDAYS = "월화수목금토일"
# At most this many charts are drawn at once (each costs about a tenth of a second of CPU); a request
# that waits longer than RENDER_WAIT seconds for its turn is told to come back (503, Retry-After).
CHART_RENDERS = 2
RENDER_WAIT = 10.0


class Busy(Exception):
    """Every chart renderer stayed busy for RENDER_WAIT seconds."""


StartResponse = Callable[..., Any]


class Cache(Protocol):
    """A shared cache (`bot.deps.TTLCache` fits): pages and charts are public, the same for everyone."""

    def get(self, key: Hashable) -> Any: ...
    def put(self, key: Hashable, value: Any) -> None: ...


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("briefings.pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        story_path=links.story_path,
        company_path=links.company_path,
        stylesheet=links.STYLESHEET,
        icon=links.ICON,
    )
    return env


STATIC = {
    links.STYLESHEET: ("pages.css", "text/css; charset=utf-8"),
    links.ICON: ("favicon.svg", "image/svg+xml"),
}


@cache
def static_file(name: str) -> bytes:
    return resources.files("briefings.pages").joinpath("static", name).read_bytes()


class Pages:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        tz: ZoneInfo,
        public_url: str | None = None,
        theme_labels: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        cache: Cache | None = None,
        renders: int = CHART_RENDERS,
        render_wait: float = RENDER_WAIT,
    ) -> None:
        self.sessions = sessions
        # Chart renders at once: the server's threads also acknowledge Slack's requests, which must
        # never queue behind a burst of chart fetches.
        self._renders = threading.BoundedSemaphore(renders) if renders > 0 else threading.Semaphore(0)
        self._render_wait = render_wait
        self.tz = tz
        # Links inside the pages are root-relative, under the public URL's own path when it has one.
        self.prefix = urlsplit(public_url).path.rstrip("/") if public_url else ""
        self.theme_labels = dict(theme_labels or {})
        self.clock = clock
        self.cache = cache

    # --- routing ---------------------------------------------------------------------------------

    @staticmethod
    def handles(path: str) -> bool:
        return path in STATIC or any(p.match(path) for p in (links.STORY, links.COMPANY, links.CHART))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = str(environ.get("PATH_INFO", ""))
        if method not in ("GET", "HEAD"):
            return self._send(start_response, "405 Method Not Allowed", b"", "text/plain", [("Allow", "GET")])
        try:
            status, body, ctype, extra = self.respond(path)
        except Exception:
            log.exception("page %s failed", path)
            status, body, ctype, extra = (
                "500 Internal Server Error",
                "잠시 후 다시 시도해 주세요.".encode(),
                "text/plain; charset=utf-8",
                [],
            )
        return self._send(start_response, status, b"" if method == "HEAD" else body, ctype, extra, len(body))

    def respond(self, path: str) -> tuple[str, bytes, str, list[tuple[str, str]]]:
        """(status, body, content type, extra headers) for a GET of `path`."""
        if path in STATIC:
            name, ctype = STATIC[path]
            return "200 OK", static_file(name), ctype, [("Cache-Control", "public, max-age=86400")]
        html = "text/html; charset=utf-8"
        short = [("Cache-Control", "public, max-age=60")]
        if m := links.STORY.match(path):
            story_id = int(m.group(1))
            body = self.cached(("story", story_id), lambda: self.story_html(story_id))
            return ("200 OK", body, html, short) if body is not None else self.not_found()
        if m := links.COMPANY.match(path):
            company_id = int(m.group(1))
            body = self.cached(("company", company_id), lambda: self.company_html(company_id))
            return ("200 OK", body, html, short) if body is not None else self.not_found()
        if m := links.CHART.match(path):
            try:
                day = date.fromisoformat(m.group(2))
            except ValueError:
                return self.not_found()
            today = kst_day(self.clock())
            if day > today or day < today - timedelta(days=CHART_MAX_AGE_DAYS):
                return self.not_found()
            chart_of = int(m.group(1))
            try:
                png = self.cached(("chart", chart_of, day), lambda: self.chart_png(chart_of, day))
            except Busy:
                return (
                    "503 Service Unavailable",
                    "잠시 후 다시 시도해 주세요.".encode(),
                    "text/plain; charset=utf-8",
                    [("Retry-After", "5"), ("Cache-Control", "no-store")],
                )
            if png is None:
                return self.not_found()
            # A past day's chart never changes; today's grows with the day's news.
            age = 86400 if day < today else 600
            return "200 OK", png, "image/png", [("Cache-Control", f"public, max-age={age}")]
        return self.not_found()

    def not_found(self) -> tuple[str, bytes, str, list[tuple[str, str]]]:
        body = self.render("not_found.html").encode("utf-8")
        return "404 Not Found", body, "text/html; charset=utf-8", [("Cache-Control", "no-store")]

    # --- pages -----------------------------------------------------------------------------------

    def cached(self, key: Hashable, make: Callable[[], bytes | None]) -> bytes | None:
        if self.cache is None:
            return make()
        # A minute's pages are one page: "now" moves the 30-day window, not what a reader sees.
        full = ("pages", key, self.clock().replace(second=0, microsecond=0))
        hit: bytes | None = self.cache.get(full)
        if hit is None:
            hit = make()
            if hit is not None:
                self.cache.put(full, hit)
        return hit

    def render(self, template: str, **values: Any) -> str:
        return environment().get_template(template).render(here=self.here, local=self.local, **values)

    def here(self, path: str) -> str:
        return f"{self.prefix}{path}"

    def local(self, moment: datetime) -> str:
        when = moment.astimezone(self.tz)
        return f"{when:%Y. %-m. %-d.}({WEEKDAYS[when.weekday()]}) {when:%H:%M}"

    def story_html(self, story_id: int) -> bytes | None:
        with self.sessions() as session:
            page = load_story(session, story_id, theme_labels=self.theme_labels)
        if page is None:
            return None
        return self.render("story.html", page=page).encode("utf-8")

    def company_html(self, company_id: int) -> bytes | None:
        now = self.clock()
        with self.sessions() as session:
            page = load_company(session, company_id, now=now, theme_labels=self.theme_labels)
        if page is None:
            return None
        chart = links.chart_path(company_id, kst_day(now))
        return self.render("company.html", page=page, chart=chart).encode("utf-8")

    def chart_png(self, company_id: int, day: date) -> bytes | None:
        if not self._renders.acquire(timeout=self._render_wait):
            raise Busy
        try:
            with self.sessions() as session:
                name = company_name(session, company_id)
                if name is None:
                    return None
                trend = load_trend(session, company_id, name, last_day=day)
            return trend.png()
        finally:
            self._renders.release()

    @staticmethod
    def _send(
        start_response: StartResponse,
        status: str,
        body: bytes,
        ctype: str,
        extra: list[tuple[str, str]],
        length: int | None = None,
    ) -> list[bytes]:
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body) if length is None else length))]
        start_response(status, headers + SECURITY_HEADERS + extra)
        return [body]


def pages_for(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    cache: Cache | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Pages:
    """The pages of one `briefings web` process, configured from the settings."""
    return Pages(
        sessions,
        tz=settings.tz,
        public_url=settings.briefings_public_url,
        theme_labels=load_theme_labels(),
        clock=clock,
        cache=cache,
    )
