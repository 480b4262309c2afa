"""What is said, on the review page in a real browser: transcribe a clip from the page, find a
name, click it to bleep it everywhere, bleep every spoken number; the decisions keep times and
reasons, never the words, and the page asks nothing of any other machine."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from browsing import saved, serving, shoot, watched_page
from light import ONE_MODEL

from redact.options import RedactOptions

expect = pytest.importorskip("playwright.sync_api").expect
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TRUTH = json.loads((SAMPLES / "spoken_name.truth.json").read_text())
PHRASES = {p["role"]: p for p in TRUTH["phrases"]}


def served_sample(tmp_path_factory, name: str):
    """A copy of the sample ``name``, analysed and served by the review page."""
    clip = tmp_path_factory.mktemp("page") / name
    shutil.copyfile(SAMPLES / name, clip)
    yield from serving(clip, RedactOptions(detect=ONE_MODEL, quiet=True, workers=0))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from served_sample(tmp_path_factory, "spoken_name.mov")


def test_a_clerk_transcribes_finds_a_name_and_bleeps_it_and_every_number_everywhere(served, browser, tmp_path):
    server, clip = served
    page, errors, requests = watched_page(browser, height=1000)
    page.goto(server.fresh_url())
    page.wait_for_selector('#frame[data-frame="0"]')
    expect(page.locator("#transcript-missing")).to_be_visible()
    expect(page.locator("#transcript-warning")).to_contain_text("listen to the whole clip")

    page.fill("#transcribe-hints", "Daniel Martinez")  # a name from the case, as a hint
    page.click("#transcribe")
    expect(page.locator("#transcript span.word").first).to_be_visible(timeout=60000)
    assert page.locator("#transcript span.word").count() > 10
    page.fill("#transcript-search", "martinez")
    expect(page.locator("#transcript span.word.match")).to_have_count(1)
    shoot(page, tmp_path, "transcript-1-found.png")

    page.locator("#transcript span.word.match").click()  # bleep it everywhere it is said
    expect(page.locator("li.audio-range")).to_have_count(1)
    expect(page.locator("#transcript span.word.match")).to_have_class(re.compile(r"\bbleeped\b"))  # struck through
    page.click('#pattern-buttons button[data-pattern="numbers"]')
    expect(page.locator("li.audio-range")).to_have_count(2)
    saved(page)
    shoot(page, tmp_path, "transcript-2-bleeped.png")

    session = server.review.sessions["spoken_name.mov"]
    decisions = json.loads(session.layout.decisions.read_text())
    name, number = PHRASES["name"], PHRASES["number"]
    by_reason = {a["reason"]: a for a in decisions["audio"]}
    chosen = by_reason["spoken: a word chosen in review"]
    assert chosen["action"] == "bleep" and name["start"] < chosen["end"] and chosen["start"] < name["end"]
    spoken_number = by_reason["spoken: a number of 5 or more digits"]
    assert spoken_number["start"] <= number["start"] + 0.3 and number["end"] - 0.3 <= spoken_number["end"]
    assert "martinez" not in session.layout.decisions.read_text().lower()
    made = json.loads(Path(f"{clip}.transcript.json").read_text())  # made by the page, beside the seal
    assert made["settings"]["hints"] == 1

    # Shift+click goes to where a word is said, and bleeps nothing
    page.keyboard.down("Shift")
    page.locator("#transcript span.word").last.click()
    page.keyboard.up("Shift")
    expect(page.locator("li.audio-range")).to_have_count(2)
    assert page.evaluate("window.redactReview.state.frame") > 200

    origin = f"http://127.0.0.1:{server.port}/"
    assert all(url.startswith((origin, "data:", "blob:")) for url in requests), "the page asked for something elsewhere"
    assert not errors, errors
    page.close()


@pytest.fixture(scope="module")
def served_german(tmp_path_factory):
    yield from served_sample(tmp_path_factory, "gesprochen_de.mov")


def test_a_clerk_transcribes_german_speech_and_bleeps_a_name_said_twice(served_german, browser, tmp_path):
    """German chosen on the page: the transcript says its language, "Müller" is found in both
    places it is said (once as "Jürgen Müller", once as "Herrn Müller"), one click bleeps both."""
    server, clip = served_german
    truth = json.loads((SAMPLES / "gesprochen_de.truth.json").read_text())
    names = [p for p in truth["phrases"] if p["role"] == "name"]
    page, errors, requests = watched_page(browser, height=1000)
    page.goto(server.fresh_url())
    page.wait_for_selector('#frame[data-frame="0"]')
    page.select_option("#transcribe-language", "de")
    page.fill("#transcribe-hints", "Müller")  # the name from the case, as a hint: heard right
    page.click("#transcribe")
    expect(page.locator("#transcript span.word").first).to_be_visible(timeout=60000)
    expect(page.locator("#transcript-language")).to_contain_text("Language: de")
    page.fill("#transcript-search", "müller")
    expect(page.locator("#transcript span.word.match")).to_have_count(2)
    page.locator("#transcript span.word.match").first.click()
    expect(page.locator("li.audio-range")).to_have_count(2)
    saved(page)
    shoot(page, tmp_path, "transcript-de.png")
    decisions = json.loads(server.review.sessions["gesprochen_de.mov"].layout.decisions.read_text())
    ranges = [(a["start"], a["end"]) for a in decisions["audio"]]
    assert all(any(a <= n["start"] and n["end"] <= b for a, b in ranges) for n in names)
    assert json.loads(Path(f"{clip}.transcript.json").read_text())["settings"]["language"] == "de"
    origin = f"http://127.0.0.1:{server.port}/"
    assert all(url.startswith((origin, "data:", "blob:")) for url in requests), "the page asked for something elsewhere"
    assert not errors, errors
    page.close()
