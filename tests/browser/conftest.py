"""Browser tier: the app served for real, driven by Debian's Chromium.

Fixtures every browser test reuses:

``live_server``
    the app on ``http://127.0.0.1:<port>`` in a background thread, with CSRF
    on, on the same test database as the other tiers (emptied after the test).
    ``live_server.url`` is the base URL, ``live_server.app`` the Flask app: set
    up data with ``with live_server.app.app_context(): ...``. A response with
    a 5xx status fails the test at teardown.
``browser``
    one headless Chromium for the whole run (skipped when it is not installed,
    unless ``LMS_REQUIRE_SERVICES=1``).
``new_page(**context_options)``
    a page in a fresh browser context; defaults to a 390 × 844 phone
    (``is_mobile``, ``has_touch``, locale zh-CN) whose relative URLs go to the
    live server. Pass Playwright ``new_context`` options to override, e.g.
    ``new_page(viewport={"width": 1280, "height": 800}, is_mobile=False)``.
``page``
    ``new_page()``.

Every context is closed after its test; when the test fails, a screenshot of
each of its pages is saved under ``test-results/``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, got_request_exception, request, request_finished
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
PHONE_CONTEXT = {
    "viewport": PHONE_VIEWPORT,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
#: Playwright's own defaults are 30 s; a local server answers in milliseconds.
ACTION_TIMEOUT_MS = 10_000
EXPECT_TIMEOUT_MS = 5_000
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test (``-m browser`` / ``-m "not browser"``)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the live server -----------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Flask
    #: "GET /path → 500" for every server error while serving this test; a test
    #: that provokes one on purpose checks and clears this list
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def live_server(make_app) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 with real CSRF, on a free port, in a daemon thread.

    Each request runs in its own thread and app context, so it gets its own
    Flask-SQLAlchemy session: the threads share nothing but the engine's pool.
    The test fails if any response was a server error (the app's error pages
    turn exceptions into 500 responses, so the status is what is watched).
    """
    app = make_app(WTF_CSRF_ENABLED=True, SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    live = LiveServer(url=url, app=app)

    def on_response(sender, response, **extra):
        if response.status_code >= 500:
            live.errors.append(f"{request.method} {request.full_path.rstrip('?')} "
                               f"→ {response.status_code}")

    def on_exception(sender, exception, **extra):
        live.errors.append(f"{request.method} {request.full_path.rstrip('?')} "
                           f"raised {exception!r}")

    request_finished.connect(on_response, app, weak=False)
    got_request_exception.connect(on_exception, app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        request_finished.disconnect(on_response, app)
        got_request_exception.disconnect(on_exception, app)
    if live.errors:
        pytest.fail("server errors while serving the test (see the captured log): "
                    + "; ".join(live.errors), pytrace=False)


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("LMS_REQUIRE_SERVICES") == "1":
            pytest.fail(reason + "; LMS_REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Open a page in a new context: phone-sized by default, relative URLs on the live server."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**{**PHONE_CONTEXT, "base_url": live_server.url,
                                         **options})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "report_call", None)
    try:
        if report is not None and report.failed:
            _save_screenshots(request.node.nodeid, contexts)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def _save_screenshots(nodeid: str, contexts) -> None:
    RESULTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", nodeid).strip("_")
    pages = [p for context in contexts for p in context.pages]
    for n, page in enumerate(pages, start=1):
        suffix = f"-{n}" if len(pages) > 1 else ""
        try:
            page.screenshot(path=RESULTS / f"{stem}{suffix}.png", full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"could not save a screenshot of {page.url}: {exc!r}")
