"""The review page lists people and plates, not fragments (a real browser, the bundled sample):
the confident subjects one row each, everything the detectors are unsure of as one masked contact
sheet per kind with bulk keep; keeping one person re-renders with exactly that person's tracks
visible (checked in the log) and everyone else masked."""

from __future__ import annotations

import json
import shutil

import pytest
from browsing import saved, serving, shoot, watched_page
from clips import SAMPLE

from redact.options import RedactOptions

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subjects")
    clip = folder / SAMPLE.name
    shutil.copyfile(SAMPLE, clip)
    yield from serving(clip, RedactOptions(quiet=True))  # the default: what a clerk gets


def test_the_sample_lists_two_people_groups_the_rest_and_keeps_one_person_whole(served, browser, tmp_path):
    server, clip = served
    session = server.review.session(clip.name)
    people = [s for s in session.subjects if s.confident]
    uncertain = [s for s in session.subjects if not s.confident]
    assert len(people) == 2 and uncertain  # the sample's two faces; its false flickers grouped
    page, errors, requests = watched_page(browser)
    page.goto(server.fresh_url())
    page.wait_for_selector('#frame[data-frame="0"]')
    expect(page.locator("li.track")).to_have_count(2)
    expect(page.locator("#track-count")).to_have_text(
        f"2 people, 0 plates, {len(uncertain)} uncertain region{'s' * (len(uncertain) != 1)} (masked) · 0 kept"
    )
    rows = page.locator("li.track")
    assert [int(rows.nth(i).get_attribute("data-track")) for i in range(2)] == [s.id for s in people]
    assert "masked 0:00" in rows.first.text_content() and "tracks" in rows.first.text_content()

    # the uncertain regions: one contact sheet, thumbnails loaded when it is opened
    group = page.locator("details.uncertain-group")
    expect(group).to_have_count(1)
    group.locator("summary").click()
    expect(group.locator("li.uncertain")).to_have_count(len(uncertain))
    page.wait_for_function(
        "() => [...document.querySelectorAll('li.uncertain img.thumb')].every((i) => i.complete && i.naturalWidth > 0)"
    )
    shoot(page, tmp_path, "subjects-1-opened.png")

    # bulk keep of the whole group, then undone: one entry per subject, with the reason
    group.locator("button.select-group").click()
    expect(page.locator("#selection-count")).to_have_text(f"{len(uncertain)} selected")
    page.fill("#bulk-reason", "not faces: a hand, a badge")
    page.click("#bulk-keep")
    saved(page)
    kept = session.decisions_json()["keep_tracks"]
    assert sorted(k["track"] for k in kept) == sorted(s.id for s in uncertain)
    assert {k["reason"] for k in kept} == {"not faces: a hand, a badge"}
    page.keyboard.press("Control+z")
    saved(page)
    assert session.decisions_json()["keep_tracks"] == []
    page.click("#select-none")

    # keep one person: every track of that person visible in the render, and nothing else
    person, other = people
    row = page.locator(f'li.track[data-track="{person.id}"]')
    row.locator("button.tracks").click()  # each of its tracks' best crop, to check the linking
    expect(row.locator(".fragments figure")).to_have_count(len(person.tracks))
    page.wait_for_function(
        "id => [...document.querySelectorAll(`li.track[data-track='${id}'] .fragments img`)]"
        ".every((i) => i.complete && i.naturalWidth > 0)",
        arg=person.id,
    )
    shoot(page, tmp_path, "subjects-2-tracks.png")
    row.locator("input.keep").check()
    row.locator("input.reason").fill("subject of the request")
    saved(page)
    expect(page.locator("#track-count")).to_contain_text("· 1 kept")
    page.click("#render")
    expect(page.locator("#render-state")).to_have_text("done", timeout=120000)
    shoot(page, tmp_path, "subjects-3-rendered.png")
    log = json.loads(session.layout.log.read_text())
    visible = set(log["derivative"]["kept_tracks"]) | set(log["derivative"]["kept_with"])
    assert visible == {str(t) for t in person.tracks}
    masked = {e[7] for _, _, entries in log["regions"]["frames"] for e in entries}
    assert not masked & set(person.tracks) and set(other.tracks) <= masked
    assert all(s.id in masked for s in uncertain)  # the uncertain stay masked

    origin = f"http://127.0.0.1:{server.port}/"
    assert all(url.startswith((origin, "data:", "blob:")) for url in requests), "the page asked for something elsewhere"
    assert not errors, errors
    page.close()
