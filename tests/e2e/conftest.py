"""Browser tests: Playwright in Debian's Chromium, with the quality gates every page must pass.

Every page a browser test visits goes through ``audit``: the Nu HTML Checker on the HTML the
server sent, and axe-core (WCAG 2.1 A and AA rules) on the rendered page. The journeys run in
normal browser contexts, where a Content-Security-Policy violation in the console fails the test;
only axe's own context bypasses the CSP, because axe is injected as a script.

Without Chromium, Java or the npm test tools these tests are skipped, so ``make test`` passes on
a machine with only Python; CI sets REQUIRE_BROWSER_TESTS=1, which turns a skip into a failure.
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def _missing_tools() -> list[str]:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if shutil.which("java") is None:
        missing.append("java (for the Nu HTML Checker)")
    if not VNU_JAR.exists() or not AXE_JS.exists():
        missing.append("the npm test tools (npm ci)")
    return missing


def pytest_collection_modifyitems(config, items):
    missing = _missing_tools()
    if not missing:
        return
    reason = "browser tests need " + ", ".join(missing)
    for item in items:
        if "e2e" in item.keywords:
            if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
                item.add_marker(pytest.mark.usefixtures("_fail_missing_tools"))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_missing_tools():
    pytest.fail("REQUIRE_BROWSER_TESTS=1 but browser tests need " + ", ".join(_missing_tools()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HtmlChecker:
    """The Nu HTML Checker, run once as a local HTTP service and asked about each page."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [
                shutil.which("java") or "java",
                "-Xss8m",
                "-cp",
                str(VNU_JAR),
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.errors("<!DOCTYPE html><html lang=en><title>t</title></html>")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        self.close()
        raise RuntimeError("the Nu HTML Checker did not start within 60 seconds")

    def errors(self, html: str) -> list[str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            messages = json.load(response)["messages"]
        return [
            f"line {m.get('lastLine', '?')}: {m['message']}"
            for m in messages
            if m["type"] == "error" or m.get("subType") == "fatal"
        ]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def html_checker() -> Iterator[HtmlChecker]:
    checker = HtmlChecker()
    yield checker
    checker.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Audit:
    """Runs the quality gates on a page: the Nu HTML Checker, then axe-core."""

    browser: object
    html_checker: HtmlChecker

    def __call__(self, page, *, name: str, expect_status: int = 200) -> None:
        response = page.request.get(page.url)
        assert response.status == expect_status, f"{name}: {page.url} gave {response.status}"
        html_errors = self.html_checker.errors(response.text())
        assert not html_errors, f"Nu HTML Checker errors on {name} ({page.url}):\n" + "\n".join(
            html_errors
        )
        violations = self._axe(page)
        assert not violations, f"axe violations on {name} ({page.url}):\n" + "\n".join(violations)

    def _axe(self, page) -> list[str]:
        context = self.browser.new_context(
            bypass_csp=True,
            storage_state=page.context.storage_state(),
            viewport=page.viewport_size,
        )
        try:
            axe_page = context.new_page()
            axe_page.goto(page.url)
            axe_page.add_script_tag(content=AXE_JS.read_text())
            result = axe_page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
            )
        finally:
            context.close()
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in result["violations"]
        ]


@pytest.fixture(scope="session")
def audit(browser, html_checker) -> Audit:
    return Audit(browser=browser, html_checker=html_checker)


class BrowserSession:
    """A browser context for one person, failing the test on any CSP violation or page error."""

    def __init__(self, browser, live_server, viewport: dict[str, int]) -> None:
        self.live_server = live_server
        self.context = browser.new_context(viewport=viewport, base_url=live_server.url)
        self.context.set_default_timeout(10_000)
        self.problems: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "CSP" in text):
            self.problems.append(f"CSP violation: {text}")

    def login_as(self, user) -> None:
        """Sign in by session cookie (the login form has its own journey test)."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        self.context.add_cookies(
            [{"name": "sessionid", "value": cookie.value, "url": self.live_server.url}]
        )

    def join_as(self, participant) -> None:
        """Be this participant's browser (joining has its own journey test)."""
        self.context.add_cookies(
            [
                {
                    "name": settings.PARTICIPANT_COOKIE_NAME,
                    "value": participant.token,
                    "url": self.live_server.url,
                }
            ]
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_browser(browser, live_server):
    """Open a browser context: ``open_browser(viewport=PHONE)``. All are closed and their
    console checked when the test ends."""
    sessions: list[BrowserSession] = []

    def _open(viewport: dict[str, int] = DESKTOP) -> BrowserSession:
        session = BrowserSession(browser, live_server, viewport)
        sessions.append(session)
        return session

    yield _open
    problems = [problem for session in sessions for problem in session.problems]
    for session in sessions:
        session.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def make_user(transactional_db):
    from tests.factories import UserFactory

    def _make(username: str, role: str | None = None, **kwargs):
        return UserFactory(username=username, role=role, **kwargs)

    return _make
