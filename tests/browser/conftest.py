"""Browser fixtures: the test app on a live server, Debian's Chromium through Playwright, and a page
that records console errors, CSP violations and every request, and blocks anything not served by us.

Data: the server answers from the same engine as the test (`app` fixture), each request in its own
app context and so its own session and connection; a test commits what it builds before browsing.
Isolation: the server waits until no request is in flight before the per-test wipe runs, so a late
request never reads (or, on PostgreSQL, holds locks against) a half-emptied database.
"""
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
LOCAL_HOST = "127.0.0.1"
IDLE_TIMEOUT = 15  # seconds a test's late requests get to finish before the wipe
# Every frame reports CSP violations here: Chromium also logs them, but the event carries the directive.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__rukunCsp && window.__rukunCsp(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


class InFlight:
    """WSGI middleware counting requests in progress, so teardown can wait until the server is idle."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.active = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.active += 1
        try:
            # The response body may be produced lazily: the request ends when the server closes it.
            return ClosingIterator(self.wsgi_app(environ, start_response), [self._done])
        except BaseException:
            self._done()
            raise

    def _done(self):
        with self.idle:
            self.active -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout=IDLE_TIMEOUT):
        """Block until no request is in progress; False if that took longer than `timeout`."""
        with self.idle:
            return self.idle.wait_for(lambda: self.active == 0, timeout=timeout)


@dataclass
class LiveServer:
    """The running server: `url("/packages/1")` gives an absolute URL on it."""

    base_url: str
    in_flight: InFlight

    def url(self, path="/"):
        """Absolute URL of a site path."""
        return self.base_url + path


@pytest.fixture(scope="session")
def _live_server(_app):
    """One threaded werkzeug server for the session, on a free port of 127.0.0.1 (port 0)."""
    in_flight = InFlight(_app.wsgi_app)
    _app.wsgi_app = in_flight
    server = make_server(LOCAL_HOST, 0, _app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://{LOCAL_HOST}:{server.server_port}", in_flight)
    server.shutdown()
    server.server_close()
    _app.wsgi_app = in_flight.wsgi_app


@pytest.fixture
def live_server(app, _live_server):
    """The live server for one test; before the `app` fixture empties the tables it waits for the
    server to go idle (the page is closed first, being the later fixture)."""
    yield _live_server
    # Whatever the test left in its session must not hold locks against the wipe either.
    from app.extensions import db

    db.session.rollback()
    assert _live_server.in_flight.wait_idle(), f"requests still running {IDLE_TIMEOUT}s after the test"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (never a browser Playwright downloads), headless, for the whole session."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's chromium package. "
                    "`make browser` (part of `make test`) installs it.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class PageLog:
    """What the browser did during one test."""

    console_errors: list = field(default_factory=list)
    csp_violations: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    blocked: list = field(default_factory=list)

    def text(self):
        """A readable dump for test-artifacts/."""
        parts = [("console errors", self.console_errors), ("CSP violations", self.csp_violations),
                 ("blocked requests", self.blocked), ("requests", self.requests)]
        return "\n".join(f"== {title}\n" + "\n".join(lines) for title, lines in parts) + "\n"


def _is_local(url):
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == LOCAL_HOST


@pytest.fixture
def tile_host(app):
    """The configured tile server's host: the one place a page may try to reach (and is blocked)."""
    from tests.browser.leaflet import tile_host_of

    return tile_host_of(app.config["TILE_URL"])


@pytest.fixture
def page_log():
    """The record the `page` fixture fills in."""
    return PageLog()


@pytest.fixture
def page(browser, live_server, page_log, request):
    """A fresh browser context and page on the live server. Requests not to 127.0.0.1 (map tiles)
    are aborted and recorded; console errors and CSP violations are recorded; a screenshot and the
    log are written to test-artifacts/ after each test."""
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)

    def route(route_):
        if _is_local(route_.request.url):
            route_.continue_()
        else:
            page_log.blocked.append(route_.request.url)
            route_.abort("blockedbyclient")

    def console(message):
        if message.type != "error":
            return
        source = message.location.get("url", "")
        # Chromium reports each request we aborted as a failed resource load: that is our doing.
        if source in page_log.blocked and "ERR_BLOCKED_BY_CLIENT" in message.text:
            return
        page_log.console_errors.append(f"{message.text} ({source})")

    context.route("**/*", route)
    context.on("request", lambda req: page_log.requests.append(f"{req.method} {req.url}"))
    context.expose_function("__rukunCsp", lambda violation: page_log.csp_violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    new_page = context.new_page()
    new_page.on("console", console)
    new_page.on("pageerror", lambda error: page_log.console_errors.append(f"uncaught: {error}"))
    yield new_page
    try:
        _save_artifacts(new_page, page_log, request)
    finally:
        context.close()


def _save_artifacts(page_, log, request):
    """Screenshot and log under test-artifacts/, named after the test."""
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    database = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    stem = folder / f"browser-{name}-{database}"
    try:
        page_.screenshot(path=f"{stem}.png", full_page=True)
    except Exception as error:  # a crashed page must not hide the test's own failure
        log.console_errors.append(f"(no screenshot: {error})")
    Path(f"{stem}.log").write_text(log.text(), encoding="utf-8")
