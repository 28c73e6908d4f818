"""The report in a real browser: Debian's Chromium, driven by Playwright, checked by axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ATTRIBUTE, SCRIPT

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent.parent.parent / "test-output" / "screenshots"
# Headless, offline, and with no background calls to Google: the report must need no network.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM.exists(), "Debian's chromium is not installed: run `make test`, which installs it"
    assert AXE.exists(), "axe-core is not installed: run `make test`, which runs npm ci in tests/browser"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def _open(browser, report: Path, requests: list[str], *, bypass_csp: bool = False):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (requests.append("dialog:" + dialog.message), dialog.dismiss()))
    page.goto(report.resolve().as_uri())
    return page


def test_a_steward_sees_the_verdict_and_what_failed(browser, demo_report: Path) -> None:
    requests: list[str] = []
    page = _open(browser, demo_report / "report.html", requests)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-top.png"))
    page.screenshot(path=str(SCREENSHOTS / "report-full.png"), full_page=True)
    assert page.get_by_role("heading", level=1).inner_text() == "Triangulate discrepancy report"
    verdict = page.locator(".verdict")
    assert verdict.is_visible() and "FAIL" in verdict.inner_text()
    assert "disagree on deaths of looked-after children" in verdict.inner_text()
    assert page.get_by_role("table", name="Deaths of looked-after children (lac_deaths), England").is_visible()
    assert page.get_by_text("Discrepancy", exact=True).first.is_visible()
    charts = page.locator("figure [role=img] svg")
    assert charts.count() >= 2 and charts.first.bounding_box()["width"] > 300
    page.locator("section[aria-labelledby=bridges] figure").first.screenshot(path=str(SCREENSHOTS / "bridge.png"))
    page.locator("section[aria-labelledby=trends] figure").first.screenshot(path=str(SCREENSHOTS / "trend.png"))
    # Keyboard: the first Tab reaches the skip link, which moves to the verdict.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the verdict"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#verdict"
    assert [url for url in requests if not url.startswith("file://")] == []


def test_axe_finds_no_serious_or_critical_violations(browser, demo_report: Path) -> None:
    requests: list[str] = []
    # The report's Content-Security-Policy forbids every script, axe included; the test lifts it for axe only.
    page = _open(browser, demo_report / "report.html", requests, bypass_csp=True)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert results["testEngine"]["name"] == "axe-core"


def test_payloads_are_text_in_the_browser(browser, payload_report: Path) -> None:
    requests: list[str] = []
    page = _open(browser, payload_report / "report.html", requests)
    page.screenshot(path=str(SCREENSHOTS / "payloads.png"))
    body = page.locator("body").inner_text()
    assert SCRIPT in body and ATTRIBUTE in body
    assert page.locator("img").count() == 0
    assert [r for r in requests if not r.startswith("file://")] == []  # no dialog fired, nothing fetched


def test_prints_on_a4(browser, demo_report: Path) -> None:
    requests: list[str] = []
    page = _open(browser, demo_report / "report.html", requests)
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()
    pdf = SCREENSHOTS.parent / "report-a4.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert data.startswith(b"%PDF") and boxes
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4 is 595 x 842 points
