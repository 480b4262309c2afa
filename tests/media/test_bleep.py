"""Bleeped ranges: a 1 kHz tone, as courts expect, replaces the audio in a range; the rest is untouched."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from clips import decoded_audio, pattern

from redact import redact_file
from redact.media.audio_reencode import FLAC_BLOCK, describe_ranges, redact_samples, sample_spans
from redact.media.decode import probe
from redact.media.encode import DerivativeWriter
from redact.options import DetectOptions, EncodeOptions, RedactOptions
from redact.pipeline import derivative_path, log_path

RATE = 48000
QUIET = RedactOptions(detect=DetectOptions(kinds=("face",)), quiet=True, workers=0)
BLEEP = dataclasses.replace(QUIET, mute_ranges=((0.5, 1.0),), audio_redaction="bleep")
INSIDE = slice(int(0.5 * RATE), int(1.0 * RATE))  # the samples whose time falls in 0.5-1.0 s
FADE = round(0.005 * RATE)
PEAK_S16 = 0.25 * 2**15  # -12 dBFS
OMEGA = 2 * np.pi * 1000 / RATE  # the tone's phase step per sample


def write_talk(path: Path, codec: str, seconds: float = 2.0) -> Path:
    """Video with stereo sound: 330 Hz on the left, 440 Hz on the right, at 0.1 of full scale."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = out.add_stream(codec, rate=RATE, layout="stereo")
        for i in range(int(25 * seconds)):
            frame = av.VideoFrame.from_ndarray(pattern(i, 160, 120), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        fmt = audio.codec_context.format
        size = audio.codec_context.frame_size or 1024
        total = int(RATE * seconds)
        for start in range(0, total, size):
            n = np.arange(start, min(total, start + size))
            wave = 0.1 * np.stack([np.sin(2 * np.pi * 330 * n / RATE), np.sin(2 * np.pi * 440 * n / RATE)])
            samples = (wave * 32767).astype(np.int16) if fmt.name.startswith("s16") else wave.astype(np.float32)
            if not fmt.is_planar:
                samples = samples.T.reshape(1, -1)
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format=fmt.name, layout="stereo")
            af.sample_rate, af.pts = RATE, start
            out.mux(audio.encode(af))
        out.mux(audio.encode(None))
    return path


def peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[spectrum.argmax()])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def test_bleep_on_pcm_is_a_1khz_tone_in_the_range_and_the_rest_bit_for_bit(tmp_path):
    clip = write_talk(tmp_path / "interview.mov", "pcm_s16le")
    result = redact_file(clip, BLEEP)
    before, after = decoded_audio(clip), decoded_audio(derivative_path(clip))
    assert before.shape == after.shape and after.dtype == np.int16  # FLAC: the same samples, all of them
    outside = np.ones(len(before), bool)
    outside[INSIDE] = False
    assert np.array_equal(after[outside], before[outside])  # outside the range: the original, bit for bit
    tone = after[INSIDE].astype(np.float64)
    assert np.array_equal(tone[:, 0], tone[:, 1])  # every channel: the same tone, no speech left under it
    steady = tone[FADE:-FADE, 0]
    assert peak_hz(steady) == pytest.approx(1000, abs=5)
    assert np.abs(steady).max() == pytest.approx(PEAK_S16, abs=1)  # -12 dBFS
    assert rms(steady) == pytest.approx(PEAK_S16 / np.sqrt(2), rel=0.01)
    # exactly the samples in 0.5-1.0 s changed: nothing before 0.5 s or from 1.0 s on
    changed = np.flatnonzero((after != before).any(axis=1))
    assert INSIDE.start <= changed.min() < INSIDE.start + 48 and INSIDE.stop - 48 <= changed.max() < INSIDE.stop
    # faded in and out: no click where the tone starts or stops (a click is a jump in the slope;
    # a 1 kHz sine's own second difference stays under PEAK * OMEGA**2, ~140)
    for channel in range(2):
        curve = np.diff(after[:, channel].astype(np.float64), 2)
        assert np.abs(curve).max() < 1.5 * PEAK_S16 * OMEGA**2
    assert np.abs(tone[:10]).max() < 0.01 * PEAK_S16 and np.abs(tone[-10:]).max() < 0.01 * PEAK_S16
    log = json.loads(log_path(clip).read_text())
    assert "(pcm_s16le) re-encoded as FLAC (lossless): 0.5-1 s bleeped (1 kHz tone)" in log["derivative"]["audio"]
    assert log["parameters"]["audio_redaction"] == "bleep" and log["parameters"]["mute_ranges"] == [[0.5, 1.0]]
    assert "bleeped" in result.audio and "silenced" not in result.audio


def test_bleep_on_aac_is_a_1khz_tone_and_the_rest_within_aac_tolerance(tmp_path):
    clip = write_talk(tmp_path / "bodycam.mp4", "aac")
    redact_file(clip, BLEEP)
    before, after = decoded_audio(clip), decoded_audio(derivative_path(clip))
    assert before.shape == after.shape
    frame = 1024  # one AAC frame: the accuracy a lossy codec keeps at a boundary
    for a, b in ((frame, INSIDE.start - frame), (INSIDE.stop + frame, len(before) - frame)):  # outside
        assert rms(after[a:b] - before[a:b]) < 0.05 * rms(before[a:b])  # under -26 dB of difference
    steady = after[INSIDE.start + frame : INSIDE.stop - frame]
    for channel in range(2):
        assert peak_hz(steady[:, channel]) == pytest.approx(1000, abs=5)
        assert rms(steady[:, channel]) == pytest.approx(0.25 / np.sqrt(2), rel=0.03)  # -12 dBFS peak
    # where the tone is: the original peaks at 0.1, the tone at 0.25 (the first two frames are
    # left out: the encoder's start-up overshoot there reaches 0.16 in the original itself)
    loud = 2 * frame + np.flatnonzero(np.abs(after[2 * frame :]).max(axis=1) > 0.18)
    assert abs(loud.min() - INSIDE.start) <= frame and abs(loud.max() - INSIDE.stop) <= frame
    log = json.loads(log_path(clip).read_text())
    assert "(aac) re-encoded as AAC: 0.5-1 s bleeped (1 kHz tone)" in log["derivative"]["audio"]


def test_the_writer_takes_an_action_per_range(tmp_path):
    """``DerivativeWriter`` takes (start_s, end_s, action): one range bleeped, another silenced."""
    clip = write_talk(tmp_path / "two.mov", "pcm_s16le", seconds=1.0)
    info = probe(clip)
    out = tmp_path / "out.mp4"
    ranges = ((0.2, 0.4, "bleep"), (0.6, 0.8, "mute"))
    with av.open(str(clip)) as container:
        writer = DerivativeWriter(out, info, list(container.streams.audio), EncodeOptions(preset="ultrafast"), ranges)
        width, height = info.padded_size
        writer.write_i420(np.full((height * 3 // 2, width), 128, np.uint8), 0, None)
        for packet in container.demux(audio=0):
            if packet.size:
                writer.write_audio(packet)
        writer.finish()
    assert writer.audio_notes() == ["stream 1 (pcm_s16le) re-encoded as FLAC (lossless): " + describe_ranges(ranges)]
    assert describe_ranges(ranges) == "0.2-0.4 s bleeped (1 kHz tone), 0.6-0.8 s silenced"
    before, after = decoded_audio(clip), decoded_audio(out)
    bleeped, muted = slice(int(0.2 * RATE), int(0.4 * RATE)), slice(int(0.6 * RATE), int(0.8 * RATE))
    assert peak_hz(after[bleeped][FADE:-FADE, 0]) == pytest.approx(1000, abs=5)
    assert not after[muted].any()
    kept = np.ones(len(before), bool)
    kept[bleeped] = kept[muted] = False
    assert np.array_equal(after[kept], before[kept])


def test_the_tone_runs_on_unbroken_across_frames():
    """Cut into encoder frames at any point, the bleep is the same samples as in one piece."""
    spans = sample_spans(((0.01, 0.2, "bleep"),), RATE)
    assert spans == ((480, 9600, "bleep"),)
    whole = redact_samples(np.zeros((2, 12000), np.int16), 0, RATE, spans, "s16")
    pieces = [
        redact_samples(np.zeros((2, b - a), np.int16), a, RATE, spans, "s16")
        for a, b in zip((0, 1000, 1000 + FLAC_BLOCK, 7777), (1000, 1000 + FLAC_BLOCK, 7777, 12000), strict=True)
    ]
    assert np.array_equal(np.concatenate(pieces, axis=1), whole)
    assert not whole[:, :480].any() and not whole[:, 9600:].any() and whole[:, 480:9600].any()
    # 24-bit audio (in 32-bit integers) gets the tone in its top 24 bits, so FLAC keeps it exactly
    wide = redact_samples(np.zeros((1, 12000), np.int32), 0, RATE, spans, "s32")
    assert not (wide & 0xFF).any() and np.abs(wide).max() == pytest.approx(0.25 * 2**31, rel=1e-4)


def test_silence_wins_where_a_bleep_and_a_mute_overlap():
    spans = sample_spans(((0.1, 0.3, "bleep"), (0.2, 0.4, "mute"), (0.25, 0.35, "bleep")), 1000)
    assert spans == ((100, 350, "bleep"), (200, 400, "mute"))  # overlapping bleeps merged: one tone, one phase
    samples = redact_samples(np.ones((1, 500), np.float32), 0, 1000, spans, "fltp")
    assert not samples[0, 200:400].any() and samples[0, 100:200].any() and (samples[0, 400:] == 1).all()


def redact(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *args], capture_output=True, text=True, env=os.environ.copy()
    )


def test_cli_bleeps_the_mute_ranges_and_refuses_an_unknown_redaction(tmp_path):
    clip = write_talk(tmp_path / "call.mov", "pcm_s16le", seconds=1.5)
    args = ["run", "-q", "--kinds", "face", "--workers", "0", "--mute-ranges", "0.5-1"]
    proc = redact(*args, "--audio-redaction", "bleep", str(clip))
    assert proc.returncode == 0, proc.stderr
    assert "0.5-1 s bleeped (1 kHz tone)" in proc.stdout  # said, not only logged
    log = json.loads(log_path(clip).read_text())
    assert log["parameters"]["audio_redaction"] == "bleep"
    assert peak_hz(decoded_audio(derivative_path(clip))[INSIDE][FADE:-FADE, 0]) == pytest.approx(1000, abs=5)
    bad = redact(*args, "--audio-redaction", "beep", "--force", str(clip))
    lines = [x for x in bad.stderr.strip().splitlines() if not x.startswith("note: no station key")]
    assert bad.returncode == 2 and len(lines) == 1, bad.stderr
    assert "unknown audio redaction 'beep'" in lines[0] and "mute, bleep" in lines[0]
