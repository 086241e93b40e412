"""Launch the system's headless Chromium through Playwright (shared by the browser tests).

We never run ``playwright install``: the Debian ``chromium`` package is the browser. When it
is missing, a browser test is skipped on a developer machine but fails when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Path of the system Chromium, or None."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The Chromium path; skip the test if absent (fail instead when env ``CI`` is set)."""
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + " and CI is set: browser tests must run in CI")
        pytest.skip(message)
    return path


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium ``Browser`` (Playwright), closed afterwards. Reuse it across
    tests (e.g. a module-scoped fixture) and open a new context per test: launching is
    the slow part."""
    executable = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a test dependency
        if os.environ.get("CI"):
            pytest.fail(f"playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Any, timeout_ms: int = 15000) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies shared between tests)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield page
    finally:
        context.close()


@contextmanager
def chromium_page(timeout_ms: int = 15000) -> Iterator[Any]:
    """One-off: launch Chromium, give a page, close everything."""
    with chromium() as browser, new_page(browser, timeout_ms) as page:
        yield page
