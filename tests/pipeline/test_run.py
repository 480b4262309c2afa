"""The whole redact run path on real clips, through real PyAV and the real model."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pytest
from checks import assert_faces_masked, assert_faithful
from clips import (
    SAMPLE,
    burst_onset_s,
    decoded_audio,
    decoded_rgb,
    half_size_sample,
    sample_frames,
    sample_truth,
    video_facts,
    write_burst_clip,
    write_clip,
)

from redact import redact_file
from redact.boxes import iou
from redact.errors import OutputExistsError, SealMismatchError
from redact.evidence.seal import hash_file, is_read_only
from redact.media.timestamps import ReorderWindow, output_pts
from redact.options import DetectOptions, MaskOptions, RedactOptions
from redact.pipeline import derivative_path, log_path
from redact.presets import options_from_preset

QUIET = RedactOptions(quiet=True)


def test_sample_is_faithful_sealed_and_every_face_masked(sample_redacted):
    original = sample_redacted
    derivative = derivative_path(original)
    assert_faithful(SAMPLE, derivative)
    assert hash_file(original) == hash_file(SAMPLE) and is_read_only(original)

    before, after = assert_faces_masked(SAMPLE, derivative)
    # far from any face the picture is untouched apart from re-encoding
    assert np.abs(before[0][650:, :].astype(float) - after[0][650:, :]).mean() < 3


def test_faces_stay_masked_while_the_detector_misses_them(tmp_path, monkeypatch):
    from redact.detect.centerface import CenterFaceDetector

    clip = half_size_sample(tmp_path)
    real = CenterFaceDetector.detect
    calls = {"n": 0}

    def blind_for_a_while(self, rgb):
        calls["n"] += 1
        found = real(self, rgb)
        return found[:0] if 10 <= calls["n"] <= 16 else found  # frames 9..15 see nobody

    monkeypatch.setattr(CenterFaceDetector, "detect", blind_for_a_while)
    # one model on every frame, upright: one call per frame, so the count above is the frame
    upright = DetectOptions(every=1, face_models=("centerface",), turned_faces=False, small_faces=False)
    redact_file(clip, RedactOptions(quiet=True, workers=0, detect=upright))  # inline: the patched detector runs
    assert_faces_masked(clip, derivative_path(clip), scale=2)
    log = json.loads(log_path(clip).read_text())
    reasons = {e[6] for _, _, entries in log["regions"]["frames"][9:16] for e in entries if e[0] == "face"}
    assert reasons == {"interpolated"}  # re-detected within the lookahead: bridged exactly


def test_detection_stride_is_carried_by_interpolation(tmp_path):
    clip = half_size_sample(tmp_path)
    # the default preset at --detect-every 3: its enlarged pass narrowed from every 7th detected frame
    # (21 frames apart, more than tracking bridges) to every 5th, as `redact run --detect-every 3` does
    redact_file(clip, options_from_preset("disclosure", {"detect": {"every": 3}}, quiet=True))
    assert_faces_masked(clip, derivative_path(clip), scale=2)
    log = json.loads(log_path(clip).read_text())
    assert log["decode"]["detected_frames"] == 10 and log["derivative"]["frames"] == 30
    assert log["parameters"]["detect"]["small_faces_every"] == 5


def test_log_records_provenance_parameters_and_regions(sample_redacted):
    log = json.loads(log_path(sample_redacted).read_text())
    assert log["original"]["sha256"] == hash_file(SAMPLE)
    assert log["derivative"]["sha256"] == hash_file(derivative_path(sample_redacted))
    assert log["derivative"]["frames"] == 90 and log["decode"]["stopped_early"] is False
    assert log["detectors"][0]["name"] == "centerface+retinaface-mnet025"  # both face models, by default
    assert [len(h) for h in log["detectors"][0]["model_sha256"].split(",")] == [64, 64]
    assert log["parameters"]["mask"]["style"] == "blur" and log["parameters"]["encode"]["crf"] == 18
    assert log["regions"]["frames_with_regions"] == 90 and log["regions"]["total"] >= 180
    index, pts_s, entries = log["regions"]["frames"][0]
    assert index == 0 and pts_s == 0 and entries[0][0] == "face" and entries[0][6] == "detected"
    assert log["regions"]["fields"][6:] == ["reason", "track"]
    # both faces are followed by one track each through the whole clip (detected every 2nd frame)
    detected = log["decode"]["detected_frames"]
    assert detected == 45
    long_tracks = [t for t in log["tracks"] if t["detections"] >= 0.9 * detected]
    assert len(long_tracks) == 2 and {t["kind"] for t in long_tracks} == {"face"}
    assert all(t["first_frame"] == 0 and t["last_frame"] == 88 for t in long_tracks)
    assert {"decode", "detect", "track", "mask", "encode", "total"} <= set(log["timings_s"])


def test_rotation_is_kept_and_sideways_faces_are_found(tmp_path):
    upright = sample_frames(6, size=(640, 360))
    stored = [np.ascontiguousarray(np.rot90(f, -1)) for f in upright]  # shown upright with a 90° matrix
    clip = write_clip(tmp_path / "rot.mp4", stored, rotation=90, time_base=Fraction(1, 30))
    redact_file(clip, QUIET)
    out = derivative_path(clip)
    assert_faithful(clip, out, audio=False)
    truth = sample_truth()["frames"]
    for i, frame in enumerate(decoded_rgb(out)):
        shown = np.rot90(frame, 1)
        for x0, y0, x1, y1 in np.round(np.array(truth[i]["faces"]) / 2).astype(int):
            assert np.abs(shown[y0:y1, x0:x1].astype(float) - upright[i][y0:y1, x0:x1]).mean() > 8


def test_variable_frame_rate_timestamps_survive(tmp_path):
    pts = [0, 40, 50, 130, 170, 300, 310, 320, 500, 540]
    clip = write_clip(tmp_path / "vfr.mp4", count=len(pts), pts=pts, time_base=Fraction(1, 1000), audio=True)
    redact_file(clip, QUIET)
    assert_faithful(clip, derivative_path(clip))
    assert np.allclose(video_facts(derivative_path(clip))["pts_s"], np.array(pts) / 1000)


def test_odd_size_non_yuv420_input_is_padded_to_even(tmp_path):
    clip = write_clip(tmp_path / "odd.mkv", size=(161, 121), codec="ffv1", pix_fmt="bgr0")
    redact_file(clip, QUIET)
    facts = video_facts(derivative_path(clip))
    assert facts["size"] == (162, 122) and facts["pix_fmt"] == "yuv420p" and facts["frames"] == 12
    log = json.loads(log_path(clip).read_text())
    assert log["derivative"]["padded_from"] == [161, 121]
    # the picture itself is carried over (gradient intact, not rescaled)
    src, out = decoded_rgb(clip)[3], decoded_rgb(derivative_path(clip))[3]
    assert np.abs(src.astype(float) - out[:121, :161]).mean() < 4


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "audio"),
    [
        ("pcm.mov", "libx264", "yuv420p", ["pcm_s16le"]),  # bodycam-style PCM audio
        ("mjpeg.avi", "mjpeg", "yuvj420p", ["pcm_s16le"]),  # full-range MJPEG
        ("hevc10.mkv", "libx265", "yuv420p10le", ["libopus"]),  # 10-bit HEVC, Opus
        ("two_tracks.mp4", "libx264", "yuv420p", ["aac", "aac"]),
    ],
)
def test_common_camera_formats_keep_frames_and_every_audio_track(tmp_path, name, codec, pix_fmt, audio):
    clip = write_clip(tmp_path / name, size=(320, 240), codec=codec, pix_fmt=pix_fmt, audio=audio)
    redact_file(clip, QUIET)
    pcm = audio[0].startswith("pcm_")  # stored as FLAC (players do not play PCM in MP4): samples, not packets
    assert_faithful(clip, derivative_path(clip), audio=not pcm)
    if pcm:
        assert np.array_equal(decoded_audio(derivative_path(clip)), decoded_audio(clip))
        assert video_facts(derivative_path(clip))["audio_end_s"] == pytest.approx(
            video_facts(clip)["audio_end_s"], abs=0.002
        )
    assert len(video_facts(derivative_path(clip))["audio_packets"]) == len(audio)


@pytest.mark.parametrize(
    ("name", "audio", "video", "stored_as"),
    [
        ("dvr.avi", "adpcm_ima_wav", "mpeg4", "FLAC (lossless)"),  # cheap cameras and DVRs
        ("cam.mov", "pcm_mulaw", "mpeg4", "FLAC (lossless)"),
        ("office.wmv", "wmav2", "wmv2", "AAC"),  # decodes to floats: no lossless home in FLAC
    ],
)
def test_audio_mp4_cannot_hold_is_reencoded_in_sync_not_lost(tmp_path, name, audio, video, stored_as):
    clip = write_burst_clip(tmp_path / name, audio, video, rate=44100 if audio == "wmav2" else 48000)
    redact_file(clip, RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",))))
    derivative = derivative_path(clip)
    assert_faithful(clip, derivative, audio=False)
    # sound and picture stay in sync: the burst plays when it did in the original
    assert burst_onset_s(derivative) == pytest.approx(burst_onset_s(clip), abs=0.002)
    before, after = decoded_audio(clip), decoded_audio(derivative)
    if stored_as.startswith("FLAC"):
        assert after.dtype == before.dtype and np.array_equal(after, before)  # every sample as it was
        assert video_facts(derivative)["audio_end_s"] == pytest.approx(video_facts(clip)["audio_end_s"], abs=0.002)
    else:
        assert abs(len(after) - len(before)) <= 1024  # give or take the AAC encoder's priming frame
    log = json.loads(log_path(clip).read_text())
    assert f"({audio}) re-encoded as {stored_as}: MP4 cannot hold {audio}" in log["derivative"]["audio"]


def test_a_gap_in_reencoded_audio_stays_a_gap_so_sound_keeps_in_sync(tmp_path):
    # the camera dropped 0.3 s of audio before the burst: re-encoding writes samples back to
    # back, so unless the gap is kept the burst would play 0.3 s early
    clip = write_burst_clip(tmp_path / "dropped.wmv", "wmav2", "wmv2", rate=44100, gap=(0.4, 0.7))
    redact_file(clip, RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",))))
    assert burst_onset_s(derivative_path(clip)) == pytest.approx(burst_onset_s(clip), abs=0.002)
    log = json.loads(log_path(clip).read_text())
    assert "s of gaps in the original's audio kept as silence" in log["derivative"]["audio"]


def test_spliced_audio_that_changes_rate_midway_is_reencoded_in_sync(tmp_path):
    # two MPEG-TS recordings joined byte for byte (as DVRs export them): 48 kHz, then 44.1 kHz
    first = write_burst_clip(tmp_path / "a.ts", "mp2", "mpeg2video", rate=48000)
    second = write_burst_clip(tmp_path / "b.ts", "mp2", "mpeg2video", rate=44100, offset_s=2)
    clip = tmp_path / "spliced.ts"
    clip.write_bytes(first.read_bytes() + second.read_bytes())
    redact_file(
        clip, RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",)), mute_ranges=((0.9, 1.1),))
    )
    after = derivative_path(clip)
    # the first burst silenced, the second in sync (timestamp jitter under 10 ms is not corrected)
    assert burst_onset_s(after) == pytest.approx(burst_onset_s(second), abs=0.012)
    assert "dropped" in json.loads(log_path(clip).read_text())["derivative"]["audio"]  # the join overlapped
    assert len(decoded_audio(after)) == pytest.approx(4 * 48000, abs=2 * 1152)  # 4 s, all at the first rate


def test_recordings_joined_end_to_end_keep_their_copied_audio_in_sync(tmp_path):
    # two segments of one camera joined byte for byte: the first's last audio packet overlaps
    # the second's first, and MP4 cannot hold time running backwards (the clip used to fail)
    first = write_burst_clip(tmp_path / "a.ts", "mp2", "mpeg2video")
    second = write_burst_clip(tmp_path / "b.ts", "mp2", "mpeg2video", offset_s=2)
    clip = tmp_path / "joined.ts"
    clip.write_bytes(first.read_bytes() + second.read_bytes())
    redact_file(clip, RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",))))
    after = derivative_path(clip)
    assert burst_onset_s(after) == pytest.approx(burst_onset_s(first), abs=0.002)
    # the second segment's burst, 2 s later, in sync too
    assert burst_onset_s(after, after_s=2.5) == pytest.approx(burst_onset_s(second), abs=0.002)
    audio = json.loads(log_path(clip).read_text())["derivative"]["audio"]
    assert "copied packet for packet" in audio and "overlapping earlier audio (at joins) dropped" in audio


def test_mute_drops_audio(tmp_path):
    clip = write_clip(tmp_path / "talk.mp4", audio=True)
    redact_file(clip, RedactOptions(quiet=True, mute=True))
    assert video_facts(derivative_path(clip))["audio_streams"] == 0


def test_existing_derivative_needs_force(tmp_path):
    clip = write_clip(tmp_path / "a.mp4", sample_frames(4, (640, 360)))
    redact_file(clip, QUIET)
    first = hash_file(derivative_path(clip))
    with pytest.raises(OutputExistsError):
        redact_file(clip, RedactOptions(quiet=True, mask=MaskOptions(style="solid")))
    assert hash_file(derivative_path(clip)) == first
    redact_file(clip, RedactOptions(quiet=True, force=True, mask=MaskOptions(style="solid")))
    assert hash_file(derivative_path(clip)) != first


def test_changed_original_is_refused_and_nothing_written(tmp_path):
    clip = write_clip(tmp_path / "b.mp4")
    redact_file(clip, QUIET)
    derivative_path(clip).unlink()
    log_path(clip).unlink()
    clip.chmod(0o644)
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF
    clip.write_bytes(bytes(data))
    with pytest.raises(SealMismatchError):
        redact_file(clip, QUIET)
    assert not derivative_path(clip).exists() and not log_path(clip).exists()


def test_failure_mid_encode_leaves_no_partial_output(tmp_path, monkeypatch):
    from redact.media import encode

    clip = write_clip(tmp_path / "c.mp4")
    calls = {"n": 0}
    real = encode.DerivativeWriter.write_frame  # decoded yuv420p frames go to the encoder as they are

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk unplugged")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(encode.DerivativeWriter, "write_frame", failing)
    with pytest.raises(RuntimeError):
        redact_file(clip, QUIET)
    # the analysis stands (detection finished; the next run renders from it), no output does
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "c.mp4",
        "c.mp4.analysis.json",
        "c.mp4.seal.json",
        "custody.head.json",
        "custody.jsonl",
    ]


def test_a_stream_that_changes_size_midway_is_scaled_to_its_first_size(tmp_path):
    """Spliced recordings: every frame is kept, at one size, and the log counts the scaled ones."""
    first = write_clip(tmp_path / "a.ts", count=10, size=(160, 120), fmt="mpegts")
    second = write_clip(tmp_path / "b.ts", count=10, size=(320, 240), fmt="mpegts", pts=list(range(10, 20)))
    clip = tmp_path / "spliced.ts"
    clip.write_bytes(first.read_bytes() + second.read_bytes())
    before = hash_file(clip)
    result = redact_file(clip, QUIET)
    facts = video_facts(result.derivative)
    assert facts["frames"] == 20 and facts["size"] == (160, 120)
    assert result.rescaled_frames == 10
    assert json.loads(log_path(clip).read_text())["decode"]["rescaled_frames"] == 10
    assert hash_file(clip) == before


def test_truncated_file_is_redacted_up_to_last_good_frame(tmp_path):
    clip = write_clip(tmp_path / "full.mp4", count=40, size=(320, 240))
    cut = tmp_path / "cut.mp4"
    data = clip.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])  # moov is at the front (faststart)
    result = redact_file(cut, QUIET)
    log = json.loads(log_path(cut).read_text())
    assert 0 < result.frames < 40 and result.stopped_early
    assert log["decode"]["stopped_early"] and log["decode"]["reason"]
    assert video_facts(derivative_path(cut))["frames"] == result.frames


def test_interlaced_video_has_faces_masked_in_both_fields_and_stays_interlaced(tmp_path):
    # DVR/CCTV footage: each frame holds two fields shot 1/50 s apart; here the scene moves
    # 16 px between them, so every face is combed into stripes at two places. Detected on the
    # combed frame, one field of a face was as little as 17 % masked (measured); field by
    # field, at least 80 %.
    shift, frames = 16, sample_frames(10, (426, 240))
    combed = []
    for rgb in frames:
        frame = rgb.copy()
        frame[1::2] = np.roll(rgb, shift, axis=1)[1::2]
        combed.append(frame)
    clip = tmp_path / "dvr.mp4"
    with av.open(str(clip), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 426, 240, "yuv420p"
        video.codec_context.options = {"flags": "+ildct+ilme", "x264-params": "interlaced=1:tff=1"}
        for i, frame in enumerate(combed):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = i
            out.mux(video.encode(vf))
        out.mux(video.encode(None))
    tight = DetectOptions(kinds=("face",), margin=0.0)  # no margin to hide a position the detector missed
    redact_file(clip, RedactOptions(quiet=True, workers=0, detect=tight))
    assert json.loads(log_path(clip).read_text())["input"]["interlaced"] == "tff"
    truth = sample_truth()["frames"]
    for i, out in enumerate(decoded_rgb(derivative_path(clip))):
        for x0, y0, x1, y1 in np.round(np.array(truth[i]["faces"]) * 426 / 1280).astype(int):
            for rows, dx in ((slice(y0 - y0 % 2, y1, 2), 0), (slice(y0 - y0 % 2 + 1, y1, 2), shift)):
                changed = np.abs(out[rows, x0 + dx : x1 + dx].astype(float) - combed[i][rows, x0 + dx : x1 + dx])
                assert (changed.mean(axis=2) > 10).mean() > 0.6, (i, dx)  # masked where each field shows it
    with av.open(str(derivative_path(clip))) as c:
        assert next(c.decode(video=0)).interlaced_frame  # still interlaced: players deinterlace it as before


def test_damaged_packets_are_skipped_and_the_rest_of_the_recording_kept(tmp_path):
    # a failing memory card: three frames' bytes are garbage; the decoder refuses those packets
    clip = write_clip(tmp_path / "card.avi", count=40, size=(320, 240), codec="mjpeg", pix_fmt="yuvj420p")
    with av.open(str(clip)) as c:
        packets = [(p.pos, p.size, float(p.pts * p.time_base)) for p in c.demux(video=0) if p.size]
    data = bytearray(clip.read_bytes())
    damaged = [0, 10, 20, 30]  # the first one too: the clip is still a video
    for index in damaged:
        pos, size, _ = packets[index]
        data[pos : pos + size] = b"\xff" * size  # erased flash reads as ones: no JPEG left in it
    clip.write_bytes(bytes(data))
    result = redact_file(clip, RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",))))
    assert result.frames == 36 and result.damaged_packets == 4 and not result.stopped_early
    log = json.loads(log_path(clip).read_text())
    assert log["decode"]["damaged_at_s"] == [packets[i][2] for i in damaged]
    kept = [t for i, (*_, t) in enumerate(packets) if i not in damaged]
    assert np.allclose(video_facts(derivative_path(clip))["pts_s"], kept, atol=1e-6)  # every other frame, on time


def test_same_input_and_parameters_give_the_same_log_and_derivative_apart_from_timestamps(tmp_path):
    """Reproducibility: detections, tracks, regions, parameters and the derivative's bytes.

    x264 runs a fixed 4 threads (EncodeOptions.threads), so its output does not depend on the
    machine or its load; the README promises byte-identical derivatives.
    """
    clip = write_clip(tmp_path / "d.mp4", sample_frames(6, (640, 360)))

    def comparable(log: dict) -> dict:
        return {k: v for k, v in log.items() if k not in ("started_at", "finished_at", "timings_s", "signature")}

    redact_file(clip, QUIET)
    first = comparable(json.loads(log_path(clip).read_text()))
    redact_file(clip, RedactOptions(quiet=True, force=True))
    second = comparable(json.loads(log_path(clip).read_text()))
    assert first == second and first["regions"]["total"] > 0
    assert {"parameters", "detectors", "input", "tool"} <= set(first)  # what a re-run needs


def test_output_pts_repairs_missing_and_non_increasing_timestamps():
    assert output_pts(None, None, 3) == 0
    assert output_pts(10, None, 3) == 10
    assert output_pts(None, 10, 3) == 13
    assert output_pts(10, 10, 3) == 11
    assert output_pts(20, 10, 3) == 20


def test_altered_model_file_is_refused(tmp_path, monkeypatch):
    from redact import models
    from redact.errors import ModelError

    bad = tmp_path / "models"
    bad.mkdir()
    data = bytearray(models.locate(models.CENTERFACE).read_bytes())
    data[-100] ^= 1
    (bad / models.CENTERFACE.filename).write_bytes(bytes(data))
    monkeypatch.setenv("REDACT_MODELS_DIR", str(bad))
    models.locate.cache_clear()
    try:
        with pytest.raises(ModelError, match="SHA-256"):
            models.locate(models.CENTERFACE)
    finally:
        models.locate.cache_clear()


def test_reorder_window_restores_display_order_timestamps():
    # AVI with packed B-frames: frames decoded in display order, pts attached out of order
    window = ReorderWindow(depth=4)
    pts = [1, 2, 3, 5, 4, 6, 8, 7, 9]
    out = [t for i, p in enumerate(pts) for _, t in window.push(i, p)] + [t for _, t in window.flush()]
    assert out == list(range(1, 10))
    ordered = ReorderWindow(depth=4)
    frames = [f for i in range(6) for f, _ in ordered.push(i, i * 10)] + [f for f, _ in ordered.flush()]
    assert frames == list(range(6))


def test_the_bulk_preset_masks_every_face_and_names_both_models_of_the_cascade(tmp_path):
    clip = half_size_sample(tmp_path)
    redact_file(clip, options_from_preset("bulk", quiet=True))
    assert_faithful(clip, derivative_path(clip))
    assert_faces_masked(clip, derivative_path(clip), scale=2)
    log = json.loads(log_path(clip).read_text())
    face = next(d for d in log["detectors"] if d["kind"] == "face")
    assert face["model_file"].split(",")[:2] == ["yunet_n.onnx", "centerface.onnx"]  # the proposer, then its confirmer
    assert "retinaface_mnet025.onnx" in face["model_file"]  # the periodic pass
    assert face["providers"] == ["CPUExecutionProvider"]
    # each labelled face's track was confirmed on crops (two models), and RetinaFace found it too
    tracks = {t["id"]: t for t in log["tracks"]}
    truth = sample_truth()["frames"][0]["faces"]
    for box in np.array(truth, np.float32) / 2:
        first = [e for e in log["regions"]["frames"][0][2] if e[0] == "face"]
        best = max(first, key=lambda e: float(iou(box[None], np.array([e[1:5]], np.float32))[0, 0]))
        assert {"yunet-n", "centerface@crop", "retinaface-mnet025"} <= set(tracks[best[7]]["models"])
