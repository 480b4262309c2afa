"""The court report in German, as a German court reads it: a clip with German speech, a name
bleeped, reported with `redact --lang de report` and opened in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browsing import shoot, watched_page
from light import ONE_MODEL_FLAGS

expect = pytest.importorskip("playwright.sync_api").expect
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def redact(*args, env=None):
    return subprocess.run([sys.executable, "-m", "redact", *map(str, args)], capture_output=True, text=True, env=env)


def test_the_court_report_of_a_german_clip_reads_in_german(tmp_path, browser):
    clip = tmp_path / "gesprochen_de.mov"
    shutil.copyfile(SAMPLES / "gesprochen_de.mov", clip)
    env = {**os.environ, "REDACT_KEY_DIR": str(tmp_path / "keys")}
    assert redact("keys", "init", env=env).returncode == 0
    ran = redact("run", "-q", *ONE_MODEL_FLAGS, "--language", "de", "--bleep-words", "Müller", clip, env=env)
    assert ran.returncode in (0, 10), ran.stderr  # 10: the synthetic voice's low word confidence, warned of
    env["REDACT_LANG"] = "de"  # a German station; `--lang de` says the same for one command
    made = redact("report", "--reviewer", "KHK Weber", f"{clip}.redacted.mp4", env=env)
    assert made.returncode == 0, made.stderr
    report = tmp_path / "gesprochen_de.mov.redaction-report.html"
    text = report.read_text()
    assert '<html lang="de">' in text and "What was redacted" not in text and "Review decisions" not in text
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert log["original"]["sha256"] in text and "Müller" not in text  # hashes, never the words

    page, errors, requests = watched_page(browser, height=1200)
    page.goto(report.as_uri())
    expect(page.locator("h1")).to_have_text("Schwärzungsbericht")
    expect(page.locator("p.verdict")).to_have_text("GEPRÜFT zum Zeitpunkt dieses Berichts")
    for heading in ("Dateien", "Prüfung", "Was geschwärzt wurde", "Prüfentscheidungen", "Werkzeuge und Modelle"):
        expect(page.locator("h2", has_text=heading)).to_have_count(1)
    expect(page.locator("h3", has_text="Ton")).to_have_count(1)
    expect(page.locator("td", has_text="überpiept (1-kHz-Ton)").first).to_be_visible()
    expect(page.locator("p", has_text="Zurückgehaltene gesprochene Wörter: 1 Eintrag der Wortliste")).to_be_visible()
    expect(page.locator("p", has_text="in der Sprache de")).to_be_visible()
    body = page.locator("body").inner_text()  # times the German way: 07.12.2026, 13:05:16 UTC bis ...
    assert re.search(r"geschwärzt\s+\d\d\.\d\d\.20\d\d, \d\d:\d\d:\d\d UTC bis \d\d\.\d\d\.20\d\d", body)
    # what the log and verification say in words, in German too: reasons, findings, the audio
    expect(page.locator("ul.reasons li", has_text="automatische Erkennung in diesem Bild")).to_have_count(1)
    checks = page.locator("table").nth(1).inner_text()
    assert "Siegel signiert" in checks and "Protokoll signiert" in checks and "C2PA-Manifest gültig" in checks
    assert "Original" in checks and "geschwärzte Kopie" in checks
    assert "neu kodiert als" in body and "überpiept (1-kHz-Ton)" in body
    expect(page.locator("td", has_text="gesprochen: Eintrag 1 der Wortliste").first).to_be_visible()
    for english in ("automatic detection", "seal signed", "re-encoded", "entries, chain", "manifest valid", "spoken:"):
        assert english not in body, english
    shoot(page, tmp_path, "report-de.png")
    assert all(url.startswith("file:") for url in requests), "the report asked for something elsewhere"
    assert not errors, errors
    page.close()
