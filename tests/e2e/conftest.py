"""Browser journeys: Debian's Chromium, driven by Playwright, against pytest-django's live_server.

`make test` runs these in their own pytest process (see the Makefile).
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an asyncio event loop in the test's thread, and Django refuses
# ORM calls from a thread with a running loop. Only the browser tests need this relaxed.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots of each journey (and of any failure) land here for a person to look at.
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", Path(tempfile.gettempdir()) / "chunan-e2e"))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        # A missing browser fails the suite: a skipped journey would pass CI unseen.
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it "
            "(apt-get install -y chromium fonts-noto-cjk).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser context (no cookies) on the live server, in a desktop-sized window."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def screenshot(page):
    """Save the current page as SCREENSHOTS/<name>.png."""

    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save


@pytest.fixture
def english(page, live_server):
    """Interface text in English (the cookie the language switcher sets)."""
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    return page
