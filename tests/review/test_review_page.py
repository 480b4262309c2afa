"""The review page in a real browser (Debian's chromium driven by Playwright), as a clerk uses
it: keep the subject with a reason, draw a box the detectors missed and give it a second
keyframe, bleep a name, render; then check the derivative's pixels and sound, and that a
reload finds every decision again. Screenshots go to the test's folder (and to
$REDACT_SCREENSHOTS when set) so a person can look at the page."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from browsing import saved, serving, shoot, watched_page
from clips import AUDIO_RATE, decoded_audio, decoded_rgb, write_interview

from redact.options import DetectOptions, RedactOptions
from redact.pipeline import analyze_file
from redact.review.page.serve import start

expect = pytest.importorskip("playwright.sync_api").expect
FACES = RedactOptions(detect=DetectOptions(kinds=("face",)), quiet=True, workers=0)
FIRST_BOX, SECOND_BOX = (20, 240, 120, 340), (220, 240, 320, 340)  # shown pixels, away from both faces


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    clip = write_interview(folder / "interview.mov", frames=48)  # 1.92 s
    yield from serving(clip, FACES)


def to_frame(page, n: int) -> None:
    page.evaluate("n => window.redactReview.toFrame(n)", n)
    page.wait_for_selector(f'#frame[data-frame="{n}"]')


def drag_box(page, box) -> None:
    start = page.evaluate("([x, y]) => window.redactReview.framePoint(x, y)", [box[0], box[1]])
    end = page.evaluate("([x, y]) => window.redactReview.framePoint(x, y)", [box[2], box[3]])
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move((start["x"] + end["x"]) / 2, (start["y"] + end["y"]) / 2, steps=4)
    page.mouse.move(end["x"], end["y"], steps=4)
    page.mouse.up()


def test_a_clerk_keeps_the_subject_adds_a_moving_box_bleeps_a_name_renders_and_finds_it_all_again(
    served, browser, tmp_path
):
    server, clip = served
    page, errors, requests = watched_page(browser)
    page.goto(server.fresh_url())
    page.wait_for_selector('#frame[data-frame="0"]')
    page.wait_for_selector('li.track[data-track="1"] img.thumb')
    shoot(page, tmp_path, "1-opened.png")

    # the subject of the request stays visible: a reason is required
    row = page.locator('li.track[data-track="1"]')
    row.locator("input.keep").check()
    row.locator("input.reason").fill("subject of the request")
    saved(page)
    # the subject's face found again (by the other model, on a turned copy) is one row with it, its
    # tracks kept with it
    session = server.review.sessions["interview.mov"]
    subject = session.subject_of[1]
    assert len(subject.tracks) >= 2 and f"{len(subject.tracks)} tracks" in row.text_content()
    along = [r for n in range(48) for r in session.frame_regions(n) if r["track"] in subject.tracks[1:]]
    assert along and all(r["kept"] and r["kept_with"] == 1 for r in along)
    expect(page.locator("#track-count")).to_contain_text("people, 0 plates")

    # a box the detectors missed, drawn on frame 4 and moved by frame 40
    to_frame(page, 4)
    page.click("#draw-box")
    drag_box(page, FIRST_BOX)
    page.wait_for_selector("li.region")
    to_frame(page, 40)
    page.locator("li.region").first.locator("button.keyframe").click()
    drag_box(page, SECOND_BOX)
    expect(page.locator("li.region span.keys").first).to_contain_text("2 keyframes")
    saved(page)

    # a name spoken from frame 10 (0.4 s) for a second: bleeped
    to_frame(page, 10)
    page.click("#add-audio")
    audio = page.locator("li.audio-range").first
    audio.locator("select.action").select_option("bleep")
    audio.locator("input.reason").fill("a witness's name")
    saved(page)
    shoot(page, tmp_path, "2-decided.png")

    page.click("#render")
    expect(page.locator("#render-state")).to_have_text("done", timeout=90000)
    page.wait_for_selector("#derivative")
    page.wait_for_selector("#report-link")
    shoot(page, tmp_path, "3-rendered.png")

    session = server.review.sessions["interview.mov"]
    decisions = json.loads(session.layout.decisions.read_text())
    assert decisions["keep_tracks"][0]["track"] == 1 and decisions["keep_tracks"][0]["reviewer"] == "DC 1 Test"
    keys = decisions["add_regions"][0]["keys"]
    assert (
        len(keys) == 2
        and keys[0][2:] == pytest.approx(FIRST_BOX, abs=2)
        and keys[1][2:] == pytest.approx(SECOND_BOX, abs=2)
    )
    bleep = decisions["audio"][0]
    assert bleep["action"] == "bleep" and bleep["start"] == pytest.approx(0.4, abs=0.001)

    original, rendered = decoded_rgb(clip), decoded_rgb(session.layout.derivative)
    assert len(rendered) == len(original) == 48

    def changed(frame: int, box) -> float:
        x0, y0, x1, y1 = box
        return np.abs(rendered[frame][y0:y1, x0:x1].astype(float) - original[frame][y0:y1, x0:x1]).mean()

    def detail(frames, frame: int, box) -> float:
        """Fine detail (variance of the Laplacian): what a blur takes away however plain the scene."""
        x0, y0, x1, y1 = box
        grey = cv2.cvtColor(np.ascontiguousarray(frames[frame][y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
        return float(cv2.Laplacian(grey, cv2.CV_64F).var())

    kept = next(r["box"] for r in session.frame_regions(20) if r["track"] == 1)
    assert changed(20, [round(v) for v in kept]) < 6  # the subject: visible
    other = next(r["box"] for r in session.frame_regions(20) if r["track"] == 2)
    assert changed(20, [round(v) for v in other]) > 8  # the other face: masked
    middle = tuple((a + b) // 2 for a, b in zip(FIRST_BOX, SECOND_BOX, strict=True))
    for frame, box in ((4, FIRST_BOX), (22, middle), (40, SECOND_BOX)):
        inner = (box[0] + 10, box[1] + 10, box[2] - 10, box[3] - 10)
        assert detail(rendered, frame, inner) < 0.2 * detail(original, frame, inner), frame  # masked
    for frame, box in ((3, FIRST_BOX), (41, SECOND_BOX)):  # before the first keyframe, after the last
        assert detail(rendered, frame, box) > 0.5 * detail(original, frame, box), frame
    sound = decoded_audio(session.layout.derivative).astype(np.float64)
    inside = sound[int(0.5 * AUDIO_RATE) : int(1.3 * AUDIO_RATE)].reshape(-1)
    peak = np.fft.rfftfreq(len(inside), 1 / AUDIO_RATE)[np.abs(np.fft.rfft(inside * np.hanning(len(inside)))).argmax()]
    assert peak == pytest.approx(1000, abs=5)  # the bleep's tone
    before = decoded_audio(clip).astype(np.float64)[: int(0.35 * AUDIO_RATE)]
    assert np.abs(sound[: len(before)] - before).max() < 1  # untouched before the range (PCM kept bit for bit)

    # a reload (or a closed browser) finds every decision as saved
    page.reload()
    page.wait_for_selector('#frame[data-frame="0"]')
    row = page.locator('li.track[data-track="1"]')
    assert (
        row.locator("input.keep").is_checked() and row.locator("input.reason").input_value() == "subject of the request"
    )
    assert "2 keyframes" in page.locator("li.region span.keys").first.text_content()
    assert page.locator("li.audio-range select.action").first.input_value() == "bleep"
    shoot(page, tmp_path, "4-reloaded.png")

    origin = f"http://127.0.0.1:{server.port}/"
    assert all(url.startswith((origin, "data:", "blob:")) for url in requests), "the page asked for something elsewhere"
    assert not errors, errors
    page.close()


def test_keys_undo_bulk_keep_the_original_switch_and_following_a_box(served, browser, tmp_path):
    server, _ = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.fresh_url())
    page.wait_for_selector('#frame[data-frame="0"]')

    # frame steps from the keyboard, as in every editor a clerk has used
    page.locator("#frame").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector('#frame[data-frame="1"]')
    page.keyboard.press("Shift+ArrowRight")  # a second on: frame 26 at 25 fps
    page.wait_for_selector('#frame[data-frame="26"]')
    page.keyboard.press("End")
    page.wait_for_selector('#frame[data-frame="47"]')
    page.keyboard.press("Home")
    page.wait_for_selector('#frame[data-frame="0"]')
    assert "frame 0" in page.locator("#frame-label").text_content()

    # a click on a track's row jumps to its first frame
    to_frame(page, 20)
    page.locator('li.track[data-track="2"]').click(position={"x": 5, "y": 5})  # its edge, not an input
    page.wait_for_selector('#frame[data-frame="0"]')

    # the sound plays in the page: the browser loads what the server sends
    duration = page.evaluate(
        """() => new Promise((done) => {
            const audio = document.querySelector('#audio');
            if (audio.readyState >= 1) done(audio.duration);
            else audio.addEventListener('loadedmetadata', () => done(audio.duration));
        })"""
    )
    assert duration == pytest.approx(1.92, abs=0.05)

    # bulk: every face kept with one reason, then undone
    before = [page.locator(f'li.track[data-track="{t}"] input.keep').is_checked() for t in (1, 2)]
    page.click("#select-faces")
    page.fill("#bulk-reason", "officers on duty")
    page.click("#bulk-keep")
    saved(page)
    assert all(page.locator(f'li.track[data-track="{t}"] input.keep').is_checked() for t in (1, 2))
    kept = {k["track"]: k["reason"] for k in server.review.sessions["interview.mov"].decisions_json()["keep_tracks"]}
    assert kept[2] == "officers on duty"
    page.keyboard.press("Control+z")
    saved(page)
    assert [page.locator(f'li.track[data-track="{t}"] input.keep').is_checked() for t in (1, 2)] == before

    # the unredacted original: asked for, confirmed, logged
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#show-original")
    page.wait_for_selector("#original-banner", state="visible")
    to_frame(page, 3)
    shoot(page, tmp_path, "5-original.png")
    entries = (server.review.root / "custody.jsonl").read_text().splitlines()
    assert json.loads(entries[-1])["event"] == "viewed original"
    page.click("#show-original")
    page.wait_for_selector("#original-banner", state="hidden")

    # a box on the second face, followed forward by the tracker: keyframes the clerk can check
    to_frame(page, 8)
    face = next(r["box"] for r in server.review.sessions["interview.mov"].frame_regions(8) if r["track"] == 2)
    page.click("#draw-box")
    drag_box(page, [round(v) for v in face])
    regions = page.locator("li.region")
    region = regions.nth(regions.count() - 1)
    region.locator("button.follow-forward").click()
    expect(region.locator("span.keys")).not_to_contain_text("1 keyframe", timeout=30000)
    saved(page)
    keys = server.review.sessions["interview.mov"].decisions_json()["add_regions"][-1]["keys"]
    assert len(keys) > 10 and keys[0][0] == pytest.approx(0.32)
    shoot(page, tmp_path, "6-followed.png")
    assert not errors, errors
    page.close()


def test_a_folder_lists_its_clips_and_a_box_drawn_zoomed_in_lands_where_it_was_drawn(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("folder")
    for name in ("first.mov", "second.mov"):
        analyze_file(write_interview(folder / name, frames=12), FACES)
    running = start(folder, RedactOptions(quiet=True), "DC 3 Test")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(running.url)
        links = page.locator("#clips li a")
        expect(links).to_have_count(2)
        assert links.all_text_contents() == ["first.mov", "second.mov"]
        shoot(page, tmp_path_factory.getbasetemp(), "7-folder.png")
        links.nth(1).click()
        page.wait_for_selector('#frame[data-frame="0"]')
        assert "second.mov" in page.locator("#clip-name").text_content()

        # zoomed in around a point, a drawn box is still in the frame's own pixels
        anchor = page.evaluate("() => window.redactReview.framePoint(200, 180)")
        page.mouse.move(anchor["x"], anchor["y"])
        for _ in range(3):
            page.mouse.wheel(0, -300)
        page.wait_for_timeout(200)
        moved = page.evaluate("() => window.redactReview.framePoint(200, 180)")
        assert abs(moved["x"] - anchor["x"]) < 3 and abs(moved["y"] - anchor["y"]) < 3  # zoomed around the cursor
        corner = page.evaluate("() => window.redactReview.framePoint(210, 190)")
        assert corner["x"] - moved["x"] > 25  # 10 frame pixels now take more than 25 screen pixels
        box = (185, 165, 215, 195)
        page.click("#draw-box")
        drag_box(page, box)
        page.wait_for_selector("li.region")
        saved(page)
        keys = running.review.sessions["second.mov"].decisions_json()["add_regions"][0]["keys"]
        assert keys[0][2:] == pytest.approx(box, abs=2)

        # the box edited by dragging it 10 frame pixels right, then deleted
        drag_box(page, (200, 180, 210, 180))  # from its centre; not in draw mode, so a move
        saved(page)
        keys = running.review.sessions["second.mov"].decisions_json()["add_regions"][0]["keys"]
        assert keys[0][2:] == pytest.approx((195, 165, 225, 195), abs=2)
        page.locator("li.region").first.locator("button.delete").click()
        expect(page.locator("li.region")).to_have_count(0)
        saved(page)
        assert running.review.sessions["second.mov"].decisions_json()["add_regions"] == []

        # a whole picture blacked out from here for a second
        page.click("#add-picture")
        picture = page.locator("li.picture").first
        picture.locator("select.style").select_option("solid")
        picture.locator("input.reason").fill("a screen with an address")
        saved(page)
        pictures = running.review.sessions["second.mov"].decisions_json()["redact_pictures"]
        assert pictures[0]["start"] == 0.0 and pictures[0]["style"] == "solid"
        assert not errors, errors
        page.close()
    finally:
        running.stop()
