"""The review UI in real Chromium against a live `certwatch review serve` on loopback,
over a real crawl of the sandbox (including its XSS listing)."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, certwatch
from tests.review_helpers import SECRET

pytestmark = pytest.mark.browser
PASSWORD = "browser-analyst-pw"
# The developers' guide pins Debian's chromium where it is installed: the browser tests, the
# crawl's browser sources and the evidence cover sheet then all run the same build.
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ENV = ({"CERTWATCH_CHROMIUM": DEBIAN_CHROMIUM}
                if os.access(DEBIAN_CHROMIUM, os.X_OK) else {})
# Runs before any page script, in every frame: a payload that calls a dialog leaves a mark in
# the DOM even where a sandbox without allow-modals silently swallows the dialog itself.
DIALOG_HOOK = """(() => {
  const mark = (how) => function () {
    try { document.documentElement.setAttribute("data-certwatch-xss", how); } catch (e) {}
  };
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    try { window[name] = mark(name); } catch (e) {}
  }
})();"""
XSS_MARK = "document.documentElement.getAttribute('data-certwatch-xss')"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("review-live")
    certwatch("crawl", "--source", "hostile", "--source", "tieba", "--source", "xianyu",
              "--night", "1", "--quiet", home=home, env=CHROMIUM_ENV)
    certwatch("users", "add", "ana", "--role", "analyst", home=home, stdin=PASSWORD + "\n")
    port = _free_port()
    env = {**os.environ, "CERTWATCH_HOME": str(home), "CERTWATCH_SECRET": SECRET,
           **CHROMIUM_ENV}
    env.pop("CERTWATCH_DB_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "certwatch.cli", "review", "serve",
                             "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{proc.stdout.read()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    from crawlers.browser import launch_options

    options = launch_options()
    if CHROMIUM_ENV:
        options["executable_path"] = DEBIAN_CHROMIUM
    with sync_playwright() as p:
        chromium = p.chromium.launch(**options)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, server: str) -> Iterator:  # noqa: ANN001
    context = browser.new_context(base_url=server, accept_downloads=True)
    context.add_init_script(DIALOG_HOOK)
    page = context.new_page()
    page.dialogs, page.console_errors, page.console, page.page_errors = [], [], [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: page.console.append(m.text))
    page.on("console", lambda m: page.console_errors.append(m.text)
            if m.type == "error" else None)
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.goto("/queue")
    assert "/login" in page.url
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    yield page
    context.close()


def test_login_filter_open_confirm_audit_and_export(page, server: str) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    page.select_option("select[name=source]", "tieba")
    page.select_option("select[name=label]", "guazheng")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"source=tieba"))
    rows = page.locator("table.queue tbody tr")
    assert rows.count() > 0
    assert set(page.locator("table.queue tbody tr td:nth-child(5)").all_inner_texts()) == {
        "tieba"}
    assert set(page.locator("table.queue .label").all_inner_texts()) == {"挂证"}
    title = page.locator("a.title").first.inner_text()
    page.locator("a.title").first.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))
    listing_id = page.url.rsplit("/", 1)[1]
    assert page.locator("h1.listing-title").inner_text() == title
    assert page.locator(".ad-text mark").count() > 0  # the reasons, highlighted
    page.select_option("#decide select[name=action]", "confirm")
    page.select_option("#decide select[name=category]", "guazheng")
    page.fill("#decide input[name=note]", "浏览器测试确认")
    page.click("#decide button[type=submit]")
    page.wait_for_url(re.compile(rf"/listings/{listing_id}\?done=1"))
    assert page.locator("#case-status").inner_text() == "已确认"

    page.goto(f"/audit?object_kind=listing&object_id={listing_id}")
    entry = page.locator('tr[data-action="decision.confirm"]')
    assert entry.count() == 1
    assert "ana" in entry.inner_text() and "状态=已确认" in entry.inner_text()

    page.goto("/summary")
    with page.expect_download() as info:
        page.click("#export-xlsx")
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if r[0] == "地区")
    confirmed = header.index("已确认")
    hits = [r for r in rows if r[1] == "挂证" and r[confirmed]]
    assert sum(r[confirmed] for r in hits) == 1
    assert not page.dialogs and not page.console_errors


def test_hostile_listing_never_executes(page, server: str) -> None:  # noqa: ANN001
    page.goto("/queue?label=all&q=certwatch-xss")
    link = page.locator("a.title").first
    assert '<script>alert("certwatch-xss")</script>' in link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))
    assert "<script>" in page.locator("h1.listing-title").inner_text()  # shown as text
    page.click("details.raw summary")
    frame_el = page.locator("details.raw iframe")
    assert frame_el.get_attribute("sandbox") == ""
    frame = frame_el.content_frame
    frame.locator("h1.title").wait_for()
    assert frame.locator("img").count() >= 1  # the onerror image is there, inert
    frame.locator('a[href^="javascript:"]').click()
    page.wait_for_timeout(500)
    assert frame_el.element_handle().content_frame().evaluate(XSS_MARK) is None
    # The raw page opened on its own still runs nothing: its CSP sandboxes it.
    raw_url = frame_el.get_attribute("src")
    page.goto(raw_url)
    page.locator("h1.title").wait_for()
    page.locator('a[href^="javascript:"]').click()
    page.wait_for_timeout(500)
    assert page.evaluate(XSS_MARK) is None
    assert page.dialogs == []
    # A payload that ran anyway shows up here: a dialog a sandbox swallowed, or an error
    # its script threw (reading document.cookie in an opaque origin, for one).
    assert not [m for m in page.console if "Ignored call to" in m], page.console
    assert page.page_errors == []
    response = httpx.get(server + raw_url)  # not logged in: no raw page for strangers
    assert response.status_code in (303, 307) or "/login" in str(response.url)


def test_browser_source_listing_shows_its_crawl_time_screenshot(page) -> None:  # noqa: ANN001
    page.goto("/queue?label=all&source=xianyu")
    page.locator("a.title").first.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))
    image = page.locator("figure.screenshot img")
    image.wait_for()
    page.wait_for_function("document.querySelector('figure.screenshot img').complete")
    assert image.evaluate("img => img.naturalWidth") > 100
    assert not page.console_errors


def test_confirmed_case_exports_a_verifiable_evidence_packet(page, tmp_path: Path) -> None:  # noqa: ANN001
    from reports.evidence.verify import verify_packet

    page.goto("/queue?label=guazheng&source=tieba&status=pending")
    page.locator("a.title").first.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))
    assert page.locator("#export-evidence").count() == 0  # not confirmed: no button
    page.select_option("#decide select[name=action]", "confirm")
    page.select_option("#decide select[name=category]", "guazheng")
    page.click("#decide button[type=submit]")
    page.wait_for_url(re.compile(r"done=1"))
    page.set_default_timeout(240_000)  # signing, PDF cover sheet, WACZ validation
    page.click("#export-evidence button")
    page.wait_for_url(re.compile(r"packet=.+\.wacz"))
    with page.expect_download() as info:
        page.locator("ul.packets a").first.click()
    packet = tmp_path / info.value.suggested_filename
    info.value.save_as(packet)
    verdict = verify_packet(packet)
    assert verdict.ok, verdict
    page.goto("/audit?action=evidence.export")
    assert page.locator('tr[data-action="evidence.export"]').count() == 1
