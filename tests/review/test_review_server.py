"""The review server as a clerk's browser and an attacker's page meet it: a real uvicorn on
127.0.0.1, a real analysed clip, real HTTP."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from clips import AUDIO_RATE, decoded_audio, decoded_rgb, write_interview

from redact.evidence.custody import custody_path
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import analyze_file
from redact.review.page.audio import RATE
from redact.review.page.serve import start

# upright faces only: what is tested here is not what turned copies add (tests/detect/test_turned.py)
FACES = RedactOptions(detect=DetectOptions(kinds=("face",), turned_faces=False), quiet=True, workers=0)
CLIP = "/api/clips/interview.mov"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The interview clip (two faces, a 330 Hz tone) analysed, under review by DC 1 Test."""
    folder = tmp_path_factory.mktemp("review")
    clip = write_interview(folder / "interview.mov")
    analyze_file(clip, FACES)
    running = start(clip, RedactOptions(quiet=True), "DC 1 Test")
    yield running
    running.stop()


@pytest.fixture
def browser(server) -> httpx.Client:
    """A client that opened the printed address: it holds the session cookie."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{server.port}")
    answer = client.get(server.fresh_url().removeprefix(str(client.base_url).rstrip("/")))
    assert answer.status_code == 303 and "token" not in answer.headers["location"]  # dropped from the address bar
    yield client
    client.close()


def cookie(server, client) -> str:
    name = f"redact_review_{server.port}"
    return f"{name}={client.cookies[name]}"


def writes(server) -> dict:
    return {"origin": f"http://127.0.0.1:{server.port}"}


def raw_request(port: int, target: str, host: str | None = None, cookie: str = "") -> tuple[int, bytes]:
    """One request with ``target`` sent byte for byte (clients clean up ``..`` before sending)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        host = host or f"127.0.0.1:{port}"
        head = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode("utf-8"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_without_the_token_or_its_cookie_nothing_is_served(server):
    client = httpx.Client(base_url=f"http://127.0.0.1:{server.port}")
    for path in (
        "/",
        "/api/clips",
        f"{CLIP}/info",
        f"{CLIP}/frame/0.jpg",
        "/static/app.js",
        "/?token=wrong",
        "/?token=%C3%A9",
    ):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "printed" in answer.json()["error"] or "used already" in answer.json()["error"]
    status, _ = raw_request(server.port, "/api/clips", cookie=f"redact_review_{server.port}=\u00e9\u00e9")
    assert status == 403  # any characters in a cookie: refused, never a crash


def test_the_token_works_once(server):
    url = server.fresh_url()
    first, second = (httpx.Client(base_url=f"http://127.0.0.1:{server.port}") for _ in range(2))
    target = url.removeprefix(f"http://127.0.0.1:{server.port}")
    assert first.get(target).status_code == 303 and first.get("/api/clips").status_code == 200
    refused = second.get(target)  # the same address, read off a process list or a shared screen
    assert refused.status_code == 403 and "used already" in refused.json()["error"]
    assert second.get("/api/clips").status_code == 403


def test_the_page_and_its_api_answer_the_cookie_and_forbid_loading_from_elsewhere(browser):
    page = browser.get("/")
    assert page.status_code == 200 and "<script" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    assert "http" not in csp  # no other origin is allowed for anything
    assert browser.get("/api/clips").json()[0]["name"] == "interview.mov"
    assert browser.get(f"{CLIP}/info").headers["cache-control"] == "no-store"  # evidence stays out of caches


def test_a_foreign_host_is_refused_even_with_the_cookie(server, browser):
    sent = cookie(server, browser)
    status, body = raw_request(server.port, f"{CLIP}/info", host=f"evil.example:{server.port}", cookie=sent)
    assert status == 403 and b"answers only to 127.0.0.1" in body
    assert raw_request(server.port, f"{CLIP}/info", cookie=sent)[0] == 200  # the same request, right host


def test_writes_from_another_origin_or_none_are_refused(server, browser):
    body = {"keep_tracks": [{"track": 1, "reason": "subject"}]}
    for headers in ({}, {"origin": "http://evil.example"}, {"origin": f"http://localhost:{server.port + 1}"}):
        answer = browser.put(f"{CLIP}/decisions", json=body, headers=headers)
        assert answer.status_code == 403, headers
    assert browser.get(f"{CLIP}/decisions").json()["keep_tracks"] == []


def test_no_path_reaches_a_file_outside_the_folder(server, browser, tmp_path):
    sent = cookie(server, browser)
    secret = Path(server.review.root).parent / "secret.mp4"
    secret.write_bytes(b"not for the page")
    for target in (
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/api/clips/../secret.mp4/info",
        "/api/clips/..%2Fsecret.mp4/info",
        "/api/clips/%2Fetc%2Fpasswd/info",
        "/api/clips/interview.mov.analysis.json/info",
    ):
        status, body = raw_request(server.port, target, cookie=sent)
        assert status == 404, (target, status)
        assert b"root:" not in body and b"not for the page" not in body


def test_frames_are_masked_until_the_original_is_switched_on_and_that_is_logged(server, browser):
    original = decoded_rgb(server.review.clips["interview.mov"])[6]
    regions = browser.get(f"{CLIP}/regions/6").json()["regions"]
    assert {r["track"] for r in regions} == {1, 2}
    masked = _jpeg(browser.get(f"{CLIP}/frame/6.jpg").content)
    for r in regions:
        x0, y0, x1, y1 = (round(v) for v in r["box"])
        face, shown = original[y0:y1, x0:x1].astype(float), masked[y0:y1, x0:x1].astype(float)
        assert np.abs(face - shown).mean() > 8 and shown.std() < face.std()  # what the render will mask
    assert browser.get(f"{CLIP}/frame/6.jpg?view=original").status_code == 403
    assert browser.get(f"{CLIP}/thumb/1.jpg?view=original").status_code == 403
    assert browser.post(f"{CLIP}/view-original", json={"on": True}, headers=writes(server)).json()["view_original"]
    shown = _jpeg(browser.get(f"{CLIP}/frame/6.jpg?view=original").content)
    assert np.abs(shown.astype(float) - original).mean() < 4  # the frame as recorded (JPEG aside)
    entries = [json.loads(line) for line in custody_path(server.review.root).read_text().splitlines()]
    viewed = [e for e in entries if e["event"] == "viewed original"]
    assert len(viewed) == 1 and viewed[0]["operator"] == "DC 1 Test" and "review page" in viewed[0]["detail"]
    browser.post(f"{CLIP}/view-original", json={"on": False}, headers=writes(server))
    assert browser.get(f"{CLIP}/frame/6.jpg?view=original").status_code == 403


def test_decisions_need_a_reason_are_saved_signed_and_the_kept_face_shows(server, browser):
    refused = browser.put(
        f"{CLIP}/decisions", json={"keep_tracks": [{"track": 1, "reason": " "}]}, headers=writes(server)
    )
    assert refused.status_code == 400 and "without a reason" in refused.json()["error"]
    unknown = browser.put(
        f"{CLIP}/decisions", json={"keep_tracks": [{"track": 99, "reason": "x"}]}, headers=writes(server)
    )
    assert unknown.status_code == 400 and "no track 99" in unknown.json()["error"]
    body = {
        "keep_tracks": [{"track": 1, "reason": "subject of the request"}],
        "audio": [{"start": 0.2, "end": 0.5, "action": "bleep", "reason": "a name"}],
    }
    saved = browser.put(f"{CLIP}/decisions", json=body, headers=writes(server)).json()
    assert saved["keep_tracks"] == body["keep_tracks"] and saved["audio"][0]["action"] == "bleep"
    document = json.loads(server.review.sessions["interview.mov"].layout.decisions.read_text())
    assert document["keep_tracks"][0]["reviewer"] == "DC 1 Test" and "signature" in document
    entries = [json.loads(line) for line in custody_path(server.review.root).read_text().splitlines()]
    assert entries[-1]["event"] == "reviewed"
    original = decoded_rgb(server.review.clips["interview.mov"])[6]
    shown = _jpeg(browser.get(f"{CLIP}/frame/6.jpg?v=1").content)
    kept = next(r for r in browser.get(f"{CLIP}/regions/6").json()["regions"] if r["track"] == 1)
    assert kept["kept"]
    x0, y0, x1, y1 = (round(v) for v in kept["box"])
    assert np.abs(shown[y0:y1, x0:x1].astype(float) - original[y0:y1, x0:x1]).mean() < 6  # visible now


def test_a_drawn_box_is_followed_with_the_face_it_was_drawn_on(server, browser):
    track2 = {
        n: next(r["box"] for r in browser.get(f"{CLIP}/regions/{n}").json()["regions"] if r["track"] == 2)
        for n in (4, 16)
    }
    answer = browser.post(
        f"{CLIP}/follow",
        json={"frame": 4, "box": track2[4], "direction": "forward", "frames": 12},
        headers=writes(server),
    ).json()
    keys = answer["keys"]
    assert len(keys) == 13 and keys[0][0] == pytest.approx(0.16)
    assert np.abs(np.array(keys[-1][2:]) - track2[16]).max() < 15  # where the detector saw the face
    back = browser.post(
        f"{CLIP}/follow",
        json={"frame": 16, "box": track2[16], "direction": "backward", "frames": 12},
        headers=writes(server),
    ).json()["keys"]
    assert [k[0] for k in back] == sorted(k[0] for k in back) and back[0][0] == pytest.approx(0.16)


def tone_hz(samples: np.ndarray, rate: int) -> float:
    samples = samples.astype(np.float64).reshape(-1)
    return float(
        np.fft.rfftfreq(len(samples), 1 / rate)[np.abs(np.fft.rfft(samples * np.hanning(len(samples)))).argmax()]
    )


def test_the_page_plays_the_sound_as_it_will_be_rendered_and_the_recording_only_with_the_original_on(server, browser):
    body = {"audio": [{"start": 0.2, "end": 0.5, "action": "bleep", "reason": "a name"}]}
    assert browser.put(f"{CLIP}/decisions", json=body, headers=writes(server)).status_code == 200
    peaks = browser.get(f"{CLIP}/waveform?bins=20").json()["peaks"]
    assert len(peaks) == 20 and all(p == pytest.approx(0.1, abs=0.02) for p in peaks)  # the tone at 0.1
    wav = browser.get(f"{CLIP}/audio.wav").content
    samples = np.frombuffer(wav[44:], "<i2")
    assert len(samples) == pytest.approx(0.96 * RATE, abs=RATE * 0.05)
    assert tone_hz(samples[int(0.25 * RATE) : int(0.45 * RATE)], RATE) == pytest.approx(1000, abs=5)  # bleeped
    assert tone_hz(samples[int(0.55 * RATE) :], RATE) == pytest.approx(330, abs=5)  # the rest as recorded
    assert browser.get(f"{CLIP}/audio.wav?view=original").status_code == 403
    browser.post(f"{CLIP}/view-original", json={"on": True}, headers=writes(server))
    recorded = np.frombuffer(browser.get(f"{CLIP}/audio.wav?view=original").content[44:], "<i2")
    assert tone_hz(recorded[int(0.25 * RATE) : int(0.45 * RATE)], RATE) == pytest.approx(330, abs=5)
    browser.post(f"{CLIP}/view-original", json={"on": False}, headers=writes(server))
    entries = [json.loads(line) for line in custody_path(server.review.root).read_text().splitlines()]
    assert "hidden again" in entries[-1]["detail"]  # how long the original was shown is on record


def test_a_whole_picture_range_is_blacked_out_in_the_page_in_exactly_its_frames(server, browser):
    body = {"redact_pictures": [{"start": 0.4, "end": 0.6, "style": "solid", "reason": "a victim's details"}]}
    assert browser.put(f"{CLIP}/decisions", json=body, headers=writes(server)).status_code == 200
    for n in range(8, 18):
        picture = _jpeg(browser.get(f"{CLIP}/frame/{n}.jpg?v={n}").content)
        assert (picture.max() < 40) == (10 <= n <= 14), n  # 0.40 s up to 0.60 s: frames 10-14, as rendered
    browser.put(f"{CLIP}/decisions", json={}, headers=writes(server))


def test_render_from_the_page_applies_the_saved_decisions_and_offers_the_report(server, browser):
    body = {
        "keep_tracks": [{"track": 1, "reason": "subject of the request"}],
        "audio": [{"start": 0.2, "end": 0.5, "action": "bleep", "reason": "a name"}],
    }
    assert browser.put(f"{CLIP}/decisions", json=body, headers=writes(server)).status_code == 200
    assert browser.post(f"{CLIP}/render", headers=writes(server)).json()["state"] == "running"
    deadline = time.monotonic() + 120
    while (status := browser.get(f"{CLIP}/render").json())["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status["state"] == "done" and status["done"] == status["total"] == 24, status
    video = browser.get(status["derivative"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    derivative = server.review.sessions["interview.mov"].layout.derivative
    sound = decoded_audio(derivative)
    inside = sound[int(0.25 * AUDIO_RATE) : int(0.45 * AUDIO_RATE)].astype(np.float64).reshape(-1)
    spectrum = np.abs(np.fft.rfft(inside * np.hanning(len(inside))))
    assert np.fft.rfftfreq(len(inside), 1 / AUDIO_RATE)[spectrum.argmax()] == pytest.approx(1000, abs=5)  # bleeped
    report = browser.get(status["report"])
    assert report.status_code == 200 and "subject of the request" in report.text
    assert "script-src" not in report.headers["content-security-policy"]  # the report runs no script


def _jpeg(data: bytes) -> np.ndarray:
    import cv2

    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_links_out_of_the_folder_are_not_served(tmp_path):
    from redact.review.page.serve import clips_under

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_interview(outside / "other.mov", frames=2)
    folder = tmp_path / "case"
    folder.mkdir()
    write_interview(folder / "own.mov", frames=2)
    (folder / "link.mov").symlink_to(outside / "other.mov")
    root, clips = clips_under(folder)
    assert root == folder and [c.name for c in clips] == ["own.mov"]


def test_a_second_review_of_the_same_folder_offers_the_render_made_before_and_its_own_cookie(server, browser):
    if browser.get(f"{CLIP}/render").json()["derivative"] is None:
        pytest.skip("needs the render test before it")
    clip = server.review.clips["interview.mov"]
    again = start(clip, RedactOptions(quiet=True), "DC 1 Test")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{again.port}") as client:
            client.get(again.fresh_url().removeprefix(f"http://127.0.0.1:{again.port}"))
            status = client.get(f"{CLIP}/render").json()
            assert status["state"] == "idle" and status["derivative"].endswith("/derivative.mp4") and status["report"]
            assert client.get("/api/clips").json()[0]["verified"]  # the derivative passes verify
            assert f"redact_review_{again.port}" in client.cookies
        assert browser.get("/api/clips").status_code == 200  # the first review's cookie still works
    finally:
        again.stop()


@pytest.mark.parametrize(
    "body",
    [
        b'{"audio": [{"start": 0.1, "end": Infinity, "action": "mute", "reason": "x"}]}',
        b'{"redact_pictures": [{"start": 0.1, "end": 1e309, "style": "solid", "reason": "x"}]}',
        b'{"keep_tracks": [{"track": 1e400, "reason": "x"}]}',
        b'{"audio": [{"start": 99, "end": 100, "action": "mute", "reason": "after the end"}]}',
    ],
    ids=["Infinity", "1e309", "track 1e400", "after the end"],
)
def test_decisions_that_cannot_apply_are_refused_and_nothing_is_saved(server, browser, body):
    """A range to infinity once answered 500 after saving the signed file, and bricked the clip:
    the page and every render failed on it until it was deleted by hand."""
    decisions = server.review.sessions["interview.mov"].layout.decisions if server.review.sessions else None
    before = decisions.read_bytes() if decisions is not None and decisions.exists() else None
    headers = {**writes(server), "content-type": "application/json"}
    answer = browser.put(f"{CLIP}/decisions", content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    decisions = server.review.sessions["interview.mov"].layout.decisions
    assert (decisions.read_bytes() if decisions.exists() else None) == before
    assert browser.get(f"{CLIP}/decisions").status_code == 200  # the clip still opens


def test_a_file_put_in_the_derivatives_place_is_neither_offered_nor_served(server, browser):
    """The log deleted and the unredacted original copied to the derivative's name: the page once
    played it as the derivative. Only a derivative that verifies is offered or served."""
    import shutil

    if browser.get(f"{CLIP}/render").json()["derivative"] is None:
        pytest.skip("needs the render test before it")
    layout = server.review.sessions["interview.mov"].layout
    kept = {path: path.read_bytes() for path in (layout.derivative, layout.log)}
    try:
        layout.log.unlink()
        layout.derivative.chmod(0o644)
        shutil.copyfile(layout.original, layout.derivative)
        assert browser.get(f"{CLIP}/derivative.mp4").status_code == 409
        assert browser.get(f"{CLIP}/render").json()["derivative"] is None
        assert not browser.get("/api/clips").json()[0]["verified"]
    finally:
        for path, data in kept.items():
            path.unlink(missing_ok=True)
            path.write_bytes(data)


def test_every_range_and_region_from_the_page_needs_a_reason(server, browser):
    """The court report once said "given as --redact-frames" for ranges drawn in the page, which
    never asked why: now nothing is saved without a reason."""
    for body, what in (
        ({"audio": [{"start": 0.1, "end": 0.3, "action": "mute", "reason": " "}]}, "audio range 1"),
        ({"redact_pictures": [{"start": 0.1, "end": 0.3, "style": "solid", "reason": ""}]}, "whole-picture range 1"),
        ({"add_regions": [{"keys": [[0.0, 0.4, 10, 10, 50, 50]], "reason": ""}]}, "added region 1"),
    ):
        answer = browser.put(f"{CLIP}/decisions", json=body, headers=writes(server))
        assert answer.status_code == 400 and f"{what} without a reason" in answer.json()["error"], answer.text
