"""A real browser on the pages: headless Debian Chromium, driven by Playwright, against `briefings web`.

The process is the real command (`python -m bot web`), on a migrated SQLite database with a small
newsroom, its Slack token checked against the fake Slack. The browser opens a story page and a company
page at a phone's size, and checks what a reader sees: the Korean text, the chart image loaded, the
links, nothing blocked by the Content-Security-Policy, no sideways scrolling. Screenshots go to the
test's tmp dir. Chromium comes from Debian (`make browser`, which `.ci/run` runs); where it cannot be
installed the test skips and says so, and under CI=true a missing Chromium fails the run instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefings.db import make_engine, make_sessionmaker, upgrade
from briefings.pages.links import company_path, story_path
from tests.conftest import process_env
from tests.fakes.slack_api import FakeSlack
from tests.pages.seed import HOSTILE, Seeded, newsroom

# The `briefings web` process loads Kiwi before it takes requests.
pytestmark = pytest.mark.kiwi

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    why = os.environ.get("BRIEFINGS_NO_BROWSER")
    if os.environ.get("CI", "").lower() == "true" and not why:
        pytest.fail("CI=true but /usr/bin/chromium is missing: `make browser` installs it")
    pytest.skip(f"Chromium is not installed ({why or 'run `make browser`: apt-get install chromium'})")


@dataclass
class Web:
    url: str
    seeded: Seeded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    db = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(db)
    engine = make_engine(db)
    with make_sessionmaker(engine).begin() as session:
        seeded = newsroom(session, now=datetime.now(UTC))
    engine.dispose()
    port = _free_port()
    with FakeSlack() as fake:
        env = process_env(
            tmp_path,
            DATABASE_URL=db,
            BRIEFINGS_HOME=str(tmp_path / "home"),
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="browser-test",
            SLACK_API_URL=fake.api_url,
            BRIEFINGS_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        log = (tmp_path / "web.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "web", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120  # Kiwi loads before the first request is taken
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "briefings web did not start:\n" + (tmp_path / "web.log").read_text()
                    )
                time.sleep(0.2)
            yield Web(url, seeded)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        launched = p.chromium.launch(executable_path=str(executable), headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="ko-KR")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200
    return page, problems


def _fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_story_page_in_a_real_browser(web: Web, browser: Any, tmp_path: Path) -> None:
    page, problems = _open(browser, web.url + story_path(web.seeded.story))
    assert page.title().startswith("화웨이, 새 스마트폰 공개")
    for text in (
        "화웨이, 새 스마트폰 공개",
        "전체 보도",
        "연합뉴스",
        "전자신문",
        "화웨이가 새 스마트폰을 공개했다.",
    ):
        assert page.get_by_text(text, exact=False).first.is_visible(), text
    outside = page.locator("ol.articles a")
    assert outside.count() == 2  # the javascript: link is text, not a link
    assert outside.first.get_attribute("href") == "https://www.yna.co.kr/view/1"
    assert outside.first.get_attribute("rel") == "noopener noreferrer"
    assert page.get_by_text("클릭하면 위험한 링크").is_visible()
    assert _fits_the_phone(page)
    page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
    # The company link leads to the company page of the same server.
    page.locator(f'.crumbs a[href="{company_path(web.seeded.huawei)}"]').click()
    page.wait_for_load_state("load")
    assert page.url == web.url + company_path(web.seeded.huawei)
    assert problems == []


def test_company_page_in_a_real_browser(web: Web, browser: Any, tmp_path: Path) -> None:
    page, problems = _open(browser, web.url + company_path(web.seeded.huawei))
    assert page.locator("h1").inner_text().startswith("화웨이")
    assert page.get_by_text("최근 30일 보도", exact=False).first.is_visible()
    image = page.locator("figure.chart img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('figure.chart img').complete")
    assert image.evaluate("img => img.naturalWidth") == 1000
    assert image.evaluate("img => img.naturalHeight") == 500
    assert image.is_visible()
    # The image fits the phone's width: it scales down instead of overflowing.
    assert image.evaluate("img => img.getBoundingClientRect().width") <= PHONE["width"]
    headlines = page.locator("ul.stories a.headline")
    assert headlines.count() == 3
    assert headlines.first.inner_text() == HOSTILE  # a hostile headline shows as its text
    assert page.locator("script").count() == 0
    assert page.get_by_text("신제품·출시", exact=False).first.is_visible()
    peers = page.locator(f'a[href="{company_path(web.seeded.samsung)}"]')
    assert peers.first.inner_text() == "삼성전자"
    assert _fits_the_phone(page)
    page.screenshot(path=str(tmp_path / "company.png"), full_page=True)
    assert (tmp_path / "company.png").stat().st_size > 10_000
    assert problems == []
