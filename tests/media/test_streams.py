"""What the derivative keeps of the original's other streams and tags, and what it says it left out.

Real files through real PyAV: the original's start timecode and its streams' languages carry
over; subtitles, data streams and further video streams (which nothing redacts) are left out,
and the log, ``redact run`` and the court report say so; PCM becomes FLAC, sample for sample.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from types import SimpleNamespace

import av
import numpy as np
import pytest
from clips import decoded_audio, pattern

from redact import redact_file
from redact.media.decode import carried_tags, check_timecode, not_carried_note
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import derivative_path, log_path
from redact.review.court import write_report

FAST = RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",)))
SUBTITLE = "1\n00:00:00,100 --> 00:00:00,800\nWitness John Smith, 12 Acacia Road\n\n"
RATE = 48000
# integer PCM as the decoder gives it (32-bit samples hold 24-bit PCM in their top 24 bits)
PCM = {
    "pcm_s16le": ("s16", np.int16, lambda rng, n: rng.integers(-(2**15), 2**15, n)),
    "pcm_s24le": ("s32", np.int32, lambda rng, n: rng.integers(-(2**23), 2**23, n) * 256),
    "pcm_s32le": ("s32", np.int32, lambda rng, n: rng.integers(-(2**31), 2**31, n)),
    "pcm_f32le": ("flt", np.float32, lambda rng, n: rng.uniform(-0.5, 0.5, n)),
}


def write_camera_clip(
    path,
    audio_codec: str = "pcm_s16le",
    *,
    timecode: str | None = None,
    audio_tags: dict | None = None,
    video_tags: dict | None = None,
    subtitles: bool = False,
    second_video: bool = False,
    klv: bool = False,
):
    """1 s of video, stereo noise in ``audio_codec`` (every bit used) and what else is asked:
    a container ``timecode`` (a tmcd track in MOV/MP4, a TIMECODE tag in MKV), an SRT subtitle
    naming a witness, a second video stream, a KLV (GPS-style) data stream (MPEG-TS only)."""
    fmt, dtype, noise = PCM.get(audio_codec, PCM["pcm_s16le"])
    rng = np.random.default_rng(7)
    srt = None
    if subtitles:
        (path.parent / "s.srt").write_text(SUBTITLE)
        srt = av.open(str(path.parent / "s.srt"))
    with av.open(str(path), "w") as out:
        if timecode:
            out.metadata["timecode"] = timecode
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        for key, value in (video_tags or {}).items():
            video.metadata[key] = value
        extra = out.add_stream("mpeg4", rate=25) if second_video else None
        if extra is not None:
            extra.width, extra.height, extra.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream(audio_codec, rate=RATE, layout="stereo")
        for key, value in (audio_tags or {}).items():
            audio.metadata[key] = value
        subtitle = out.add_stream_from_template(srt.streams[0]) if srt else None
        if subtitle is not None:
            subtitle.metadata["language"] = "eng"
        data = out.add_data_stream("klv") if klv else None
        for i in range(25):
            frame = av.VideoFrame.from_ndarray(pattern(i, 160, 120), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            if extra is not None:
                small = av.VideoFrame.from_ndarray(pattern(i, 64, 48), format="rgb24")
                small.pts = i
                out.mux(extra.encode(small))
            if data is not None and i % 5 == 0:
                packet = av.Packet(b"\x06\x0e\x2b\x34" + b"lat 51.5014 lon -0.1419")
                packet.stream, packet.pts, packet.dts, packet.time_base = data, i * 3600, i * 3600, Fraction(1, 90000)
                out.mux(packet)
        out.mux(video.encode(None))
        if extra is not None:
            out.mux(extra.encode(None))
        for start in range(0, RATE, 1024):
            samples = noise(rng, 2 * 1024).astype(dtype)[None]
            af = av.AudioFrame.from_ndarray(samples, format=fmt, layout="stereo")
            af.sample_rate, af.pts = RATE, start
            out.mux(audio.encode(af))
        out.mux(audio.encode(None))
        if srt is not None:
            for packet in srt.demux(srt.streams[0]):
                if packet.size:
                    packet.stream = subtitle
                    out.mux(packet)
            srt.close()
    return path


def streams_of(path) -> list[tuple[str, str | None, dict]]:
    with av.open(str(path)) as c:
        return [
            (s.type, s.codec_context.name if s.codec_context else getattr(s, "name", None), dict(s.metadata))
            for s in c.streams
        ]


def derivative_log(clip) -> dict:
    return json.loads(log_path(clip).read_text())["derivative"]


def test_subtitles_and_a_second_video_are_left_out_and_said_so_timecode_and_languages_kept(tmp_path):
    clip = write_camera_clip(
        tmp_path / "interview.mkv",
        timecode="01:02:03:04",
        video_tags={"language": "eng", "handler_name": "Core Media Video"},
        audio_tags={"language": "deu", "title": "Mic 1"},
        subtitles=True,
        second_video=True,
    )
    before = streams_of(clip)
    assert [kind for kind, *_ in before] == ["video", "video", "audio", "subtitle"]
    redact_file(clip, FAST)
    after = derivative_path(clip)

    kinds = [(kind, codec) for kind, codec, _ in streams_of(after)]
    assert kinds == [("video", "h264"), ("audio", "flac"), ("data", None)]  # the data stream: tmcd
    video, audio, timecode = (tags for *_, tags in streams_of(after))
    assert video["timecode"] == timecode["timecode"] == "01:02:03:04"  # the original's start timecode
    assert video["language"] == "eng" and video["handler_name"] == "Core Media Video"
    assert audio["language"] == "deu" and audio.get("title", audio.get("name")) == "Mic 1"
    assert b"John Smith" not in after.read_bytes()  # what the subtitle said goes nowhere

    log = derivative_log(clip)
    assert log["timecode"] == "01:02:03:04"
    assert [(d["index"], d["type"], d["codec"], d["language"]) for d in log["dropped_streams"]] == [
        (1, "video", "mpeg4", None),
        (3, "subtitle", before[3][1], "eng"),
    ]
    assert "only the first video stream is redacted" in log["dropped_streams"][0]["why"]
    assert "personal data" in log["dropped_streams"][1]["why"]
    assert log["labels_withheld"] == []
    assert "tags" not in json.loads(log_path(clip).read_text())["input"]  # one place: derivative

    report = write_report(log_path(clip), "DC 1234 Smith").read_text()
    assert "not carried" in report and "subtitle (" in report and "personal data" in report
    assert "01:02:03:04" in report


def test_redact_run_says_which_streams_were_not_carried(tmp_path):
    clip = write_camera_clip(tmp_path / "stop.mkv", audio_tags={"language": "deu"}, subtitles=True)
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "run", str(clip), "--kinds", "face"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr
    ok = proc.stdout.strip().splitlines()[-1]
    assert ok.startswith("OK: ") and "(1 stream not carried: subtitle eng; see log)" in ok
    assert "re-encoded as FLAC (lossless): common players do not play pcm_s16le in MP4" in ok


def test_a_gps_data_stream_is_left_out_and_logged(tmp_path):
    clip = write_camera_clip(tmp_path / "drone.ts", "mp2", klv=True)
    result = redact_file(clip, FAST)
    assert [kind for kind, *_ in streams_of(derivative_path(clip))] == ["video", "audio"]
    assert b"lat 51.5014" not in derivative_path(clip).read_bytes()
    (dropped,) = derivative_log(clip)["dropped_streams"]
    assert (dropped["type"], dropped["codec"]) == ("data", "klv") and "GPS" in dropped["why"]
    assert not_carried_note(result.dropped_streams) == "1 stream not carried: data"


@pytest.mark.parametrize("codec", ["pcm_s16le", "pcm_s24le"])
def test_pcm_becomes_flac_of_the_same_depth_sample_for_sample(tmp_path, codec):
    # a MOV as cameras write them: the timecode in a tmcd track (a data stream FFmpeg reads)
    clip = write_camera_clip(tmp_path / "bodycam.mov", codec, timecode="10:00:00:00")
    assert [kind for kind, *_ in streams_of(clip)] == ["video", "audio", "data"]
    result = redact_file(clip, FAST)
    after = derivative_path(clip)
    assert [(kind, codec) for kind, codec, _ in streams_of(after)] == [
        ("video", "h264"),
        ("audio", "flac"),
        ("data", None),
    ]
    original, derivative = decoded_audio(clip), decoded_audio(after)
    assert derivative.dtype == original.dtype and np.array_equal(derivative, original)  # 24-bit stays 24-bit
    log = derivative_log(clip)
    assert log["dropped_streams"] == [] and log["timecode"] == "10:00:00:00"  # the tmcd track carried, not dropped
    assert f"({codec}) re-encoded as FLAC (lossless): common players do not play {codec} in MP4" in log["audio"]
    assert not result.audio_as_is and result.audio == log["audio"]  # so redact run's OK line says it too


def test_32_bit_pcm_keeps_its_top_24_bits_and_says_so(tmp_path):
    clip = write_camera_clip(tmp_path / "recorder.mkv", "pcm_s32le")
    redact_file(clip, FAST)
    original, derivative = decoded_audio(clip), decoded_audio(derivative_path(clip))
    assert np.array_equal(derivative, original & ~0xFF)  # FLAC beyond 24 bits is experimental: players refuse it
    assert "re-encoded as FLAC (24-bit: the lowest 8 of 32 bits dropped)" in derivative_log(clip)["audio"]


def test_floating_point_pcm_is_aac(tmp_path):
    clip = write_camera_clip(tmp_path / "float.mkv", "pcm_f32le")
    redact_file(clip, FAST)
    assert [codec for kind, codec, _ in streams_of(derivative_path(clip)) if kind == "audio"] == ["aac"]
    assert "(pcm_f32le) re-encoded as AAC: common players do not play pcm_f32le in MP4" in derivative_log(clip)["audio"]


def test_a_timecode_that_does_not_fit_the_frame_rate_is_not_carried_and_logged(tmp_path):
    clip = write_camera_clip(tmp_path / "odd.mkv", timecode="01:00:00;00")  # drop-frame, at 25 fps
    redact_file(clip, FAST)
    assert [kind for kind, *_ in streams_of(derivative_path(clip))] == ["video", "audio"]
    log = derivative_log(clip)
    assert log["timecode"] is None
    assert [(d["type"], d["why"]) for d in log["dropped_streams"]] == [
        ("timecode", "drop-frame timecode 01:00:00;00 does not fit 25 frames per second")
    ]


def test_timecodes_as_the_mp4_muxer_writes_them():
    assert check_timecode("1:02:03:04", Fraction(25)) == ("01:02:03:04", "")
    assert check_timecode("01:00:00;00", Fraction(30000, 1001)) == ("01:00:00;00", "")
    assert check_timecode("01:02:03:25", Fraction(25))[0] is None  # the muxer would move it a second on
    assert check_timecode("01:02:03:04", None)[0] is None
    assert check_timecode("garbage", Fraction(25))[0] is None


def test_labels_that_could_name_someone_are_withheld():
    withheld: list[str] = []
    stream = SimpleNamespace(
        metadata={"language": "deu", "title": "Interview with Jane Doe", "HANDLER_NAME": "SoundHandler"}
    )
    assert carried_tags(stream, 1, withheld) == {"language": "deu", "handler_name": "SoundHandler"}
    assert withheld == ["stream 1 title"]
    assert carried_tags(SimpleNamespace(metadata={"language": "und", "name": "Mic 2"}), 2, withheld) == {
        "title": "Mic 2"
    }


def test_a_batch_report_says_which_streams_were_not_carried(tmp_path):
    folder = tmp_path / "request"
    folder.mkdir()
    write_camera_clip(folder / "stop.mkv", audio_tags={"language": "deu"}, subtitles=True)
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "batch", str(folder), "-q", "--workers", "0"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr
    (clip,) = json.loads((folder / "batch-report.json").read_text())["clips"]
    assert clip["status"] == "done" and "1 stream not carried: subtitle eng" in clip["error"]
