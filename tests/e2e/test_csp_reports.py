"""A Content-Security-Policy violation in a real browser reaches the site's log."""

import logging
import time

import pytest

from tests.e2e.conftest import DESKTOP


@pytest.mark.e2e
def test_chromium_reports_a_blocked_inline_script_to_the_log(browser, live_server, caplog):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        with caplog.at_level(logging.WARNING, logger="ctg_workshops.views"):
            page.evaluate(
                """() => {
                    const script = document.createElement("script");
                    script.textContent = "window.injected = true";
                    document.body.appendChild(script);
                }"""
            )
            assert page.evaluate("() => window.injected === undefined")  # blocked
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not caplog.records:
                time.sleep(0.1)
    finally:
        context.close()
    [record] = [r for r in caplog.records if "csp violation" in r.getMessage()][:1]
    line = record.getMessage()
    assert "script-src" in line
    assert "/accounts/login/" in line
