"""What the browser tests of the review page share: Debian's chromium driven by Playwright (no
browser is downloaded), screenshots a person can look at, and waiting for the autosave."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def chromium() -> str:
    found = os.environ.get("REDACT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("REDACT_REQUIRE_BROWSER"):
            pytest.fail("no chromium on PATH (CI installs it with apt-get install chromium)")
        pytest.skip("no chromium on PATH: apt-get install chromium")
    return found


def launched_browser():
    """A generator for a module-scoped fixture: chromium, headless, closed afterwards."""
    sync_api = pytest.importorskip("playwright.sync_api")
    path = chromium()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


def shoot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if os.environ.get("REDACT_SCREENSHOTS"):
        Path(os.environ["REDACT_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / name, Path(os.environ["REDACT_SCREENSHOTS"]) / name)


def saved(page) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#save-state")).to_have_text("Saved", timeout=15000)


def watched_page(browser, height: int = 900):
    """A new page (1280 wide) and the lists it fills: console errors and uncaught exceptions,
    and every address it asks for (the page must ask nothing of any other machine)."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    return page, errors, requests


def serving(clip: Path, analyse_with, reviewer: str = "DC 1 Test"):
    """A generator for a module-scoped fixture: ``clip`` analysed with ``analyse_with``, then
    served by ``redact review`` until the module is done; yields (server, clip)."""
    from redact.options import RedactOptions
    from redact.pipeline import analyze_file
    from redact.review.page.serve import start

    analyze_file(clip, analyse_with)
    running = start(clip, RedactOptions(quiet=True), reviewer)
    try:
        yield running, clip
    finally:
        running.stop()
