"""The live status page in real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_status_page_logs_in_and_shows_the_rack(server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    server.start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            page.fill("#user", "admin")
            page.fill("#pass", "wrong-password")
            page.click("#login button")
            page.wait_for_function("document.querySelector('#msg').textContent.length > 0")
            assert "failed" in page.inner_text("#msg").lower()
            page.fill("#pass", server.admin_password)
            page.click("#login button")
            page.wait_for_selector("div.pdu", timeout=15_000)
            assert page.is_hidden("#login")
            pdus = page.locator("div.pdu")
            assert pdus.count() == 2
            text = pdus.nth(0).inner_text()
            assert "feed A" in text and "present" in text
            # 24 outlet rows + header in the outlet table of each PDU
            assert pdus.nth(0).locator("table").nth(2).locator("tr").count() == 25
            with server.client() as c:
                outlets = c.get("/api/v1/pdus/pdu-a/outlets").json()
            on = sum(1 for o in outlets if o["state"] == "on")
            shown = pdus.nth(0).locator("table").nth(2).locator("span.on").count()
            assert shown == on
        finally:
            browser.close()
