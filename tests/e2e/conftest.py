"""Browser fixtures: the demo district served over HTTP and driven by Debian's chromium.

Fixture map:
    live_server   session   base URL of ``demo_app`` served by werkzeug in a daemon thread
    browser       package   headless chromium (sync Playwright), closed when tests/e2e is done
    context       function  a fresh browser context: 1366×768, Vietnamese, base URL = live_server
    console       function  what the pages of ``context`` logged: console messages and uncaught errors
    page          function  a page of ``context``
    login         function  login(page, username) with the demo password
    screenshot    function  screenshot(page, "name.png") into test-artifacts/screenshots/

Playwright's sync API runs its own asyncio loop in this thread and leaves it marked as
running between calls; it is therefore stopped when tests/e2e ends (package scope), not at the
end of the session, so that no later test finds a "running" event loop.
"""

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import got_request_exception
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def live_server(demo_app):
    """``demo_app`` on a free port of 127.0.0.1; yields the base URL."""
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # no access-log line per request in failure reports
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        werkzeug_log.setLevel(level)


@pytest.fixture(scope="package")
def browser(chromium_path):
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
    # The loop Playwright owned is closed and no longer marked as running in this thread.
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@dataclass
class Console:
    """Console messages and uncaught page errors of one browser context.

    A failed load logs "Failed to load resource" without its status in the text; it counts as an
    error unless the test declared it with ``expect_failed_load`` (e.g. a 422 validation answer).
    Chromium's own request for /favicon.ico is left to test_registry_browser's favicon test.
    """

    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected_failed_loads: list[str] = field(default_factory=list)

    def expect_failed_load(self, url_part: str) -> None:
        self.expected_failed_loads.append(url_part)

    def on_console(self, message) -> None:
        url = (message.location or {}).get("url") or ""
        line = f"{message.type}: {message.text}" + (f" [{url}]" if url else "")
        self.messages.append(line)
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource"):
            if url.endswith("/favicon.ico"):
                return
            if any(part in url for part in self.expected_failed_loads):
                return
        self.errors.append(line)

    def on_weberror(self, web_error) -> None:
        self.errors.append(f"uncaught: {web_error.error}")

    def on_server_exception(self, sender, exception, **extra) -> None:
        self.errors.append(f"server: {type(exception).__name__}: {exception}")

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Refused to" in m]

    def assert_clean(self) -> None:
        assert self.csp_violations == [], "Content Security Policy violations in the browser console"
        assert self.errors == [], "JavaScript errors in the browser console"


@pytest.fixture
def console(context, demo_app):
    """Also records exceptions the app raised while serving (they reach the browser as a 500)."""
    log = Console()
    context.on("console", log.on_console)
    context.on("weberror", log.on_weberror)
    got_request_exception.connect(log.on_server_exception, demo_app, weak=False)
    yield log
    got_request_exception.disconnect(log.on_server_exception, demo_app)


@pytest.fixture
def page(context, console):
    return context.new_page()


@pytest.fixture
def login(demo_app):
    password = demo_app.config["DEMO_PASSWORD"]

    def _login(page, username: str) -> None:
        page.goto("/auth/login")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation() as navigation:
            page.locator("form:has(#username) button[type=submit]").click()
        assert "/auth/login" not in page.url, f"login of {username} failed"
        assert navigation.value.status == 200, f"the page after login answered {navigation.value.status}"

    return _login


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = SCREENSHOTS / name
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
