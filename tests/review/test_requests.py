"""What a request or a review may ask for: silenced audio, tracks kept, regions added by hand, another folder."""

from __future__ import annotations

import dataclasses
import json
import re

import av
import cv2
import numpy as np
import pytest
from clips import burst_onset_s, decoded_audio, decoded_rgb, half_size_sample, write_burst_clip, write_clip
from light import ONE_MODEL

from redact import redact_file
from redact.errors import BadInputError
from redact.evidence.verify import verify_paths
from redact.options import DetectOptions, MaskOptions, RedactOptions
from redact.pipeline import derivative_path, log_path
from redact.review.court import write_report
from redact.review.operator_regions import parse_regions
from redact.review.snapshot import write_snapshot

QUIET = RedactOptions(quiet=True, workers=1, detect=ONE_MODEL)


def audio_samples(path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        chunks = [f.to_ndarray().reshape(-1) for f in c.decode(stream)]
        return np.concatenate(chunks), stream.codec_context.sample_rate


def test_mute_ranges_silence_only_those_seconds(tmp_path):
    clip = write_clip(tmp_path / "talk.mp4", count=50, audio=True)  # 2 s of 330 Hz tone
    redact_file(clip, dataclasses.replace(QUIET, mute_ranges=((0.5, 1.0),)))
    samples, rate = audio_samples(derivative_path(clip))
    before, _ = audio_samples(clip)
    assert len(samples) == len(before)  # not a sample lost, even those the decoder held back

    def rms(a, b):
        return float(np.sqrt(np.mean(samples[int(a * rate) : int(b * rate)] ** 2)))

    assert rms(0.55, 0.95) < 1e-3  # silenced
    assert rms(0.1, 0.45) > 0.03 and rms(1.1, 1.9) > 0.03  # the tone is still there
    log = json.loads(log_path(clip).read_text())
    assert "0.5-1 s silenced" in log["derivative"]["audio"]
    assert log["parameters"]["mute_ranges"] == [[0.5, 1.0]]


def test_silencing_pcm_keeps_every_other_sample_exactly(tmp_path):
    clip = write_burst_clip(tmp_path / "interview.mov", "pcm_s16le", layout="stereo")  # burst at 1 s
    redact_file(clip, dataclasses.replace(QUIET, mute_ranges=((0.9, 1.1),)))
    before, after = decoded_audio(clip), decoded_audio(derivative_path(clip))
    assert before.shape == after.shape and after.dtype == np.int16
    inside = np.zeros(len(before), bool)
    inside[int(0.9 * 48000) : int(1.1 * 48000)] = True
    assert not after[inside].any() and before[inside].any()  # the burst is gone
    assert np.array_equal(after[~inside], before[~inside])  # the rest is bit for bit the original
    log = json.loads(log_path(clip).read_text())
    assert "(pcm_s16le) re-encoded as FLAC (lossless): 0.9-1.1 s silenced" in log["derivative"]["audio"]


def test_ranges_to_silence_count_from_the_clips_start_as_players_do(tmp_path):
    # an MPEG-TS whose clock starts at 10 s: a player shows the burst at 0:01, so "0.9-1.1" must
    # silence it, not a stretch of the stream clock before the recording began
    clip = write_burst_clip(tmp_path / "late.ts", "aac", "libx264", offset_s=10)
    assert burst_onset_s(clip) == pytest.approx(11.0, abs=0.05)
    redact_file(clip, dataclasses.replace(QUIET, mute_ranges=((0.9, 1.1),)))
    assert np.abs(decoded_audio(derivative_path(clip))).max() < 0.01  # the burst was the only sound
    report = write_report(log_path(clip), "DC 1 Test").read_text()
    first = re.search(r"<figcaption>00:(\d\d\.\d+)</figcaption>", report)
    assert first and float(first.group(1)) < 0.05  # the first frame, as a player counts (not 00:10)


def test_a_range_to_silence_after_the_end_is_refused_before_anything_is_touched(tmp_path):
    clip = write_burst_clip(tmp_path / "short.mp4", "aac", "libx264")  # 2 s
    with pytest.raises(BadInputError, match="starts after the clip ends"):
        redact_file(clip, dataclasses.replace(QUIET, mute_ranges=((1.5, 1.8), (12, 20))))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.mp4"]  # not even sealed


def test_a_kept_track_stays_visible_and_the_rest_masked(tmp_path):
    clip = half_size_sample(tmp_path)
    redact_file(clip, QUIET)
    log = json.loads(log_path(clip).read_text())
    faces = sorted((t for t in log["tracks"] if t["kind"] == "face"), key=lambda t: -t["detections"])
    keep, other = faces[0]["id"], faces[1]["id"]
    redact_file(clip, dataclasses.replace(QUIET, keep_tracks=(keep,), force=True))
    again = json.loads(log_path(clip).read_text())
    assert again["derivative"]["kept_tracks"][str(keep)] == 30
    masked_tracks = {e[7] for _, _, entries in again["regions"]["frames"] for e in entries}
    assert keep not in masked_tracks and other in masked_tracks
    with av.open(str(clip)) as a, av.open(str(derivative_path(clip))) as b:
        src = next(a.decode(video=0)).to_ndarray(format="rgb24").astype(float)
        out = next(b.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    x0, y0, x1, y1 = (int(v) for v in faces[0]["boxes"][0][1:5])
    assert np.abs(src[y0:y1, x0:x1] - out[y0:y1, x0:x1]).mean() < 4  # only re-encoded, not masked
    # ids numbered under other detection settings may be other people's: refused, nothing changed
    before = log_path(clip).read_bytes()
    other_settings = dataclasses.replace(QUIET.detect, threshold=0.5)
    with pytest.raises(BadInputError, match="made with other detect settings"):
        redact_file(clip, dataclasses.replace(QUIET, detect=other_settings, keep_tracks=(keep,), force=True))
    assert log_path(clip).read_bytes() == before


SOLID_FACES = RedactOptions(
    quiet=True, workers=0, detect=DetectOptions(kinds=("face",)), mask=MaskOptions(style="solid")
)


def test_a_region_review_found_is_masked_in_exactly_its_frames(tmp_path):
    clip = write_clip(tmp_path / "missed.mp4", count=12, size=(160, 120))  # 25 fps, nothing to detect
    options = dataclasses.replace(SOLID_FACES, add_regions=parse_regions("0.2-0.4@10,10,60,50"))
    redact_file(clip, options)
    before, after = decoded_rgb(clip), decoded_rgb(derivative_path(clip))
    for index, (src, out) in enumerate(zip(before, after, strict=True)):
        inside = out[12:48, 12:58].astype(float)
        if 5 <= index <= 10:  # shown at 0.20 ... 0.40 s
            assert inside.max() < 40, index  # blacked out
        else:
            assert np.abs(inside - src[12:48, 12:58]).mean() < 4, index  # untouched
    log = json.loads(log_path(clip).read_text())
    frames = {index: entries for index, _, entries in log["regions"]["frames"]}
    assert sorted(frames) == list(range(5, 11))
    assert all(entries == [["operator", 10, 10, 60, 50, 1.0, "added", -1]] for entries in frames.values())
    report = write_report(log_path(clip), "DC 1 Test").read_text()
    assert "<td>added region 1</td><td>operator</td><td>00:00.200</td><td>00:00.400</td><td>6</td>" in report


def test_a_moving_region_follows_its_keys_in_the_picture_as_shown(tmp_path):
    # a phone clip stored 120x160 and shown turned to 160x120: boxes are given as shown
    clip = write_clip(tmp_path / "turned.mp4", count=12, size=(120, 160), rotation=90)
    region = "0@0,0,40,40 ~ 0.44@120,80,160,120"  # top-left to bottom-right corner of the picture as shown
    redact_file(clip, dataclasses.replace(SOLID_FACES, add_regions=parse_regions(region)))
    for index, frame in enumerate(decoded_rgb(derivative_path(clip))):
        shown = np.rot90(frame, 1)  # as a player shows it (display matrix: 90 degrees)
        x0, y0 = round(120 * index / 11), round(80 * index / 11)
        assert shown[y0 + 4 : y0 + 36, x0 + 4 : x0 + 36].max() < 40, index
        assert shown[y0 + 4 : y0 + 36, x0 + 4 : x0 + 36].shape == (32, 32, 3)
    corner = np.rot90(decoded_rgb(derivative_path(clip))[0], 1)[80:, 120:]
    assert corner.mean() > 60  # the far corner is not masked at the start


def test_a_snapshot_shows_the_derivative_as_a_player_does_to_read_regions_off(tmp_path):
    clip = write_clip(tmp_path / "turned.mp4", count=12, size=(120, 160), rotation=90)  # shown 160x120
    redact_file(clip, dataclasses.replace(SOLID_FACES, add_regions=parse_regions("0.2-0.3@0,0,40,40")))
    derivative = derivative_path(clip)
    inside = write_snapshot(derivative, 0.25)
    assert inside.name == "turned.mp4.redacted.at-0.240s.png"  # the frame on screen at 0.25 s
    picture = cv2.imread(str(inside))
    assert picture.shape == (120, 160, 3) and picture[4:36, 4:36].max() < 40  # the box as given
    before = cv2.imread(str(write_snapshot(derivative, 0.1, tmp_path / "before.png", grid=50)))
    assert before[4:36, 4:36].max() > 60 and (before[:, 50] == (0, 255, 255)).all()  # BGR yellow grid line
    with pytest.raises(BadInputError, match="not a derivative"):
        write_snapshot(clip, 0.25)  # a still of an original would be an unredacted copy
    with pytest.raises(BadInputError, match="the clip has ended"):
        write_snapshot(derivative, 3)
    assert not list(tmp_path.glob("turned.at*")) and not list(tmp_path.glob(".*partial*"))


def test_a_region_outside_the_clip_is_refused_before_anything_is_touched(tmp_path):
    clip = write_clip(tmp_path / "short.mp4", count=12, size=(160, 120))
    for region, said in (("5-6@0,0,10,10", "after the clip ends"), ("0-0.2@170,0,180,10", "outside the picture")):
        with pytest.raises(BadInputError, match=said):
            redact_file(clip, dataclasses.replace(SOLID_FACES, add_regions=parse_regions(region)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.mp4"]


def test_output_folder_gets_the_derivative_and_verifies(tmp_path):
    originals, out = tmp_path / "originals", tmp_path / "disclosure" / "req-17"
    originals.mkdir()
    clip = half_size_sample(originals, frames=10)
    result = redact_file(clip, QUIET, output_dir=out)
    assert result.derivative == out / "half.mp4.redacted.mp4" and result.log == out / "half.mp4.redacted.json"
    assert sorted(p.name for p in out.iterdir()) == [
        "custody.head.json",
        "custody.jsonl",
        "half.mp4.redacted.json",
        "half.mp4.redacted.mp4",
    ]
    assert not derivative_path(clip).exists()
    findings = verify_paths([out, originals])
    assert findings and all(f.status != "fail" for f in findings), [f for f in findings if f.status == "fail"]
