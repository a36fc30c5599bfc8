"""Shared browser fixtures: Debian's Chromium driven by Playwright, never a downloaded one.

Without /usr/bin/chromium the browser tests are skipped locally and fail in CI (where the
environment variable CI is set), so a missing browser can't pass unnoticed.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; Django refuses database access
# from a thread with a running loop unless told it is safe (the test owns both).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class RequestLog:
    """Every URL a page asked for, to prove it talks to no host but ours."""

    def __init__(self, allowed_origin: str):
        self.allowed = urlsplit(allowed_origin).netloc
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        return [
            url
            for url in self.urls
            if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != self.allowed
        ]


@pytest.fixture
def page(browser, live_server):
    """A fresh page (own cookies) in Chinese, with a log of its requests as `page.requests`."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    log = RequestLog(live_server.url)
    new_page.on("request", log.record)
    new_page.requests = log
    yield new_page
    context.close()


@pytest.fixture
def login(page, live_server):
    """Log in through the login form as `username`."""

    def log_in(username: str, password: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return log_in
