"""The report in a real browser: Debian's Chromium, driven by Playwright, checked by axe-core; printed to A4 PDF,
and its first screen compared with a committed baseline image.

`UPDATE_BASELINE=1 pytest tests/browser` writes the baseline (tests/browser/baseline/first-screen.png) from this
run instead of comparing with it: look at the image before committing it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ATTRIBUTE, SCRIPT

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent.parent.parent / "test-output" / "screenshots"
BASELINE = Path(__file__).parent / "baseline" / "first-screen.png"
FIRST_SCREEN = {"width": 1280, "height": 800}
# A pixel differs when any channel moves by more than this; the screen may differ in this share of its pixels
# (anti-aliasing, a font hinting change) before the layout counts as changed.
PIXEL_THRESHOLD = 40
PIXEL_SHARE = 0.01
PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
# The whole demo report printed on 34 A4 pages before the first page was written (issue 15).
MOST_PAGES = 15
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


def _open(browser, report: Path, requests: list[str], *, bypass_csp: bool = False,  # type: ignore[no-untyped-def]
          viewport: dict[str, int] | None = None):  # fmt: skip
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900}, bypass_csp=bypass_csp)
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
    verdict = page.locator("#first-page .verdict")
    assert verdict.is_visible() and "FAIL" in verdict.inner_text()
    assert "disagree on deaths of looked-after children" in verdict.inner_text()
    # The first screen holds the verdict and every measure's period x source table.
    grids = page.locator("#first-page table.grid")
    assert grids.count() == 4 and page.get_by_role("table", name="Deaths of looked-after children", exact=True).is_visible()
    assert grids.first.bounding_box()["y"] < FIRST_SCREEN["height"]
    assert page.get_by_text("Discrepancy", exact=True).first.is_visible()
    charts = page.locator("figure [role=img] svg")
    assert charts.count() == 4 and charts.first.bounding_box()["width"] > 300
    page.locator("section[aria-labelledby=bridges] .explained").first.screenshot(path=str(SCREENSHOTS / "bridge.png"))
    page.locator("section[aria-labelledby=matrix] figure").first.screenshot(path=str(SCREENSHOTS / "trend.png"))
    # Keyboard: the first Tab reaches the skip link, which moves to the summary.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the summary"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#summary"
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
    for summary in page.locator("details > summary").all():  # record ids and file names are folded away
        summary.click()
    body = page.locator("body").inner_text()
    assert SCRIPT in body and ATTRIBUTE in body
    assert page.locator("img").count() == 0
    assert [r for r in requests if not r.startswith("file://")] == []  # no dialog fired, nothing fetched


def _pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4: 595 x 842 points
    return len(PAGE.findall(pdf))


def test_prints_on_a4(browser, demo_report: Path) -> None:
    """The first page prints on exactly one A4 page by itself; the whole report in far fewer pages than the 34 it took."""
    requests: list[str] = []
    page = _open(browser, demo_report / "report.html", requests)
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()
    # No table row is cut across two pages, and the first page ends the first sheet.
    assert page.evaluate("getComputedStyle(document.querySelector('tbody tr')).breakInside") == "avoid"
    assert page.evaluate("getComputedStyle(document.getElementById('first-page')).breakAfter") == "page"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    whole = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS.parent / "report-a4.pdf").write_bytes(whole)
    pages = _pages(whole)
    (SCREENSHOTS.parent / "report-a4-pages.txt").write_text(f"{pages}\n")
    assert 2 <= pages <= MOST_PAGES, pages
    # The header and the first page alone: exactly one sheet of A4.
    page.add_style_tag(content="body > nav, main > :not(#first-page) { display: none !important; }")
    first = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS.parent / "report-first-page.pdf").write_bytes(first)
    assert _pages(first) == 1
    assert "What matters most" in page.locator("#first-page").inner_text()


def test_the_first_screen_matches_its_baseline(browser, demo_report: Path) -> None:
    """The first 1280 x 800 screen against the committed baseline, with the run's date and time made constant."""
    from PIL import Image, ImageChops

    requests: list[str] = []
    page = _open(browser, demo_report / "report.html", requests, viewport=FIRST_SCREEN)
    page.evaluate("for (const t of document.querySelectorAll('time.run-at')) t.textContent = '01 January 2024 at 09:00 UTC'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "first-screen.png"
    page.screenshot(path=str(shot))
    if os.environ.get("UPDATE_BASELINE") == "1":
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        BASELINE.write_bytes(shot.read_bytes())
    assert BASELINE.exists(), f"no baseline: run with UPDATE_BASELINE=1 to write {BASELINE}, then look at it"
    with Image.open(BASELINE) as expected, Image.open(shot) as actual:
        assert expected.size == actual.size, (expected.size, actual.size)
        red, green, blue = ImageChops.difference(expected.convert("RGB"), actual.convert("RGB")).split()
        largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)  # each pixel's largest channel change
        changed = sum(largest.histogram()[PIXEL_THRESHOLD + 1 :])
        share = changed / (actual.size[0] * actual.size[1])
        if share > PIXEL_SHARE:
            largest.point(lambda value: 255 if value > PIXEL_THRESHOLD else 0).save(SCREENSHOTS / "first-screen-diff.png")
        assert share <= PIXEL_SHARE, f"{share:.2%} of the first screen's pixels differ from {BASELINE} (see {SCREENSHOTS})"
    assert [url for url in requests if not url.startswith("file://")] == []
