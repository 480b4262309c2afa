"""Spoken names bleeped where they are said, from a real transcript by the real model, on the
bundled speech sample (samples/spoken_name.mov: espeak-ng phrases at known times, PCM sound)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from clips import write_clip
from light import ONE_MODEL_FLAGS

from redact.speech.transcribe import model_for

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SPOKEN = SAMPLES / "spoken_name.mov"
TRUTH = json.loads((SAMPLES / "spoken_name.truth.json").read_text())
NAME = next(p for p in TRUTH["phrases"] if p["role"] == "name")  # "Daniel Martinez." at a known time


def redact(*args, env=None, cwd=None):
    command = [sys.executable, "-m", "redact", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env or os.environ.copy(), cwd=cwd)


def samples_of(path: Path) -> tuple[np.ndarray, int]:
    """The first audio stream's samples as 16-bit integers (mono), and its rate."""
    with av.open(str(path)) as c:
        rate = c.streams.audio[0].sample_rate
        chunks = [f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]
    data = np.concatenate(chunks)
    return (data if data.dtype == np.int16 else np.round(data * 32767).astype(np.int16)), rate


@pytest.fixture(scope="module")
def bleeped(tmp_path_factory) -> Path:
    """The sample run with its name and numbers bleeped, signed by a station key, and reported."""
    folder = tmp_path_factory.mktemp("spoken")
    clip = folder / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    env = {**os.environ, "REDACT_KEY_DIR": str(folder / "keys")}
    assert redact("keys", "init", env=env).returncode == 0
    done = redact("run", "-q", *ONE_MODEL_FLAGS, "--bleep-words", "Daniel Martinez", "--bleep-patterns", "numbers",
                  clip, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert redact("report", "--reviewer", "T. Clerk", f"{clip}.redacted.mp4", env=env).returncode == 0
    return clip


def test_the_transcript_is_timed_signed_read_only_and_in_custody(bleeped):
    path = Path(f"{bleeped}.transcript.json")
    document = json.loads(path.read_text())
    assert "fingerprint" in document["signature"] and len(document["original"]["sha256"]) == 64
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    words = {w[2].strip(" .,").lower(): w for w in document["words"]}
    assert {"daniel", "martinez"} <= set(words)
    assert words["daniel"][0] == pytest.approx(NAME["start"], abs=0.5)
    assert words["martinez"][1] == pytest.approx(NAME["end"], abs=0.5)
    assert document["model"]["name"] == model_for("en").name and len(document["model"]["files"]["model.bin"]) == 64
    # asked for no language (auto): the one heard is recorded, with how sure Whisper was
    assert document["language"] == document["language_heard"] == "en" and document["language_probability"] > 0.5
    custody = [json.loads(line) for line in (bleeped.parent / "custody.jsonl").read_text().splitlines()]
    (entry,) = [e for e in custody if e["event"] == "transcribed"]
    assert entry["files"][0]["role"] == "transcript" and "fingerprint" in entry["signature"]


def test_the_name_is_bleeped_where_it_is_said_and_the_rest_of_the_sound_is_bit_identical(bleeped):
    log = json.loads(Path(f"{bleeped}.redacted.json").read_text())
    ranges = [(a["start"], a["end"]) for a in log["decisions"]["audio"]]
    reasons = {a["reason"] for a in log["decisions"]["audio"]}
    assert reasons == {"spoken: word list entry 1", "spoken: a number of 5 or more digits"}
    assert any(a <= NAME["start"] and NAME["end"] <= b for a, b in ranges)  # the whole name, padded
    assert_bleeped_there_only(bleeped, ranges, [NAME], TRUTH["frames"])


def assert_bleeped_there_only(clip: Path, ranges, phrases, frames: int) -> None:
    """The derivative's sound is the original's, sample for sample, outside ``ranges``; each of
    ``phrases`` is a 1 kHz tone; every frame is there."""
    before, rate = samples_of(clip)
    after, after_rate = samples_of(Path(f"{clip}.redacted.mp4"))
    assert after_rate == rate and len(after) == len(before)
    t = np.arange(len(before)) / rate
    inside = np.zeros(len(before), bool)
    for a, b in ranges:
        inside |= (t >= a - 0.001) & (t < b + 0.001)
    assert np.array_equal(after[~inside], before[~inside])  # lossless outside what was bleeped
    for phrase in phrases:
        said = (t >= phrase["start"]) & (t < phrase["end"])
        spectrum = np.abs(np.fft.rfft(after[said].astype(np.float64)))
        assert np.fft.rfftfreq(int(said.sum()), 1 / rate)[spectrum.argmax()] == pytest.approx(1000, abs=5)
    assert sum(1 for _ in av.open(f"{clip}.redacted.mp4").decode(video=0)) == frames


def test_what_was_said_is_in_the_transcript_only(bleeped):
    folder = bleeped.parent
    for path in folder.iterdir():
        if path.is_file() and not path.name.endswith(".transcript.json"):
            assert b"martinez" not in path.read_bytes().lower(), f"{path.name} quotes the transcript"
    log = json.loads(Path(f"{bleeped}.redacted.json").read_text())
    assert log["parameters"]["bleep_words"] == 1  # counted, not listed
    assert log["transcript"]["words"] > 10 and len(log["transcript"]["sha256"]) == 64
    report = Path(f"{bleeped}.redaction-report.html").read_text()
    assert "spoken: word list entry 1" in report and model_for("en").name in report


def test_a_render_bleeps_from_the_transcript_without_running_the_model_and_refuses_without_one(tmp_path):
    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    assert redact("analyze", "-q", *ONE_MODEL_FLAGS, clip).returncode == 0
    refused = redact("render", "-q", "--bleep-words", "Martinez", clip)
    assert refused.returncode == 2 and "redact transcribe" in refused.stderr
    assert not Path(f"{clip}.redacted.mp4").exists()
    done = redact("transcribe", "-q", "--hints", "Daniel Martinez", clip)  # a name from the case, as a hint
    assert done.returncode == 0 and "words in" in done.stdout and "Martinez" not in done.stdout
    transcript = json.loads(Path(f"{clip}.transcript.json").read_text())
    assert transcript["settings"]["hints"] == 1  # counted, not kept
    assert "Martinez" not in json.dumps({k: v for k, v in transcript.items() if k != "words"})
    again = redact("transcribe", "-q", clip)
    assert again.returncode == 4 and "--force" in again.stderr
    names = tmp_path / "names.txt"  # from a file: out of the process list and the shell's history
    names.write_text("Martinez\n\n")
    rendered = redact("render", "-q", "--bleep-words-file", names, clip)
    assert rendered.returncode == 0, rendered.stderr
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert [a["reason"] for a in log["decisions"]["audio"]] == ["spoken: word list entry 1"]


def test_an_altered_transcript_is_refused(tmp_path):
    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    env = {**os.environ, "REDACT_KEY_DIR": str(tmp_path / "keys")}
    assert redact("keys", "init", env=env).returncode == 0
    assert redact("transcribe", "-q", clip, env=env).returncode == 0
    path = Path(f"{clip}.transcript.json")

    def transcript_finding() -> dict:
        done = redact("verify", "--json", tmp_path, env=env)
        return next(f for f in json.loads(done.stdout)["findings"] if f["kind"] == "transcript")

    assert transcript_finding()["status"] == "ok"
    document = json.loads(path.read_text())
    document["words"] = [w for w in document["words"] if "Martinez" not in w[2]]  # hide the name from the bleep
    path.chmod(0o644)
    path.write_text(json.dumps(document))
    assert transcript_finding()["status"] == "fail" and "altered" in transcript_finding()["detail"]
    done = redact("run", "-q", *ONE_MODEL_FLAGS, "--bleep-words", "Martinez", clip, env=env)
    assert done.returncode == 3 and "altered" in done.stderr
    assert not Path(f"{clip}.redacted.mp4").exists()


def test_an_unsigned_transcript_changed_afterwards_is_refused_by_its_custody_hash(tmp_path):
    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    assert redact("transcribe", "-q", clip).returncode == 0  # no station key: unsigned
    path = Path(f"{clip}.transcript.json")
    document = json.loads(path.read_text())
    document["words"] = [w for w in document["words"] if "Martinez" not in w[2]]
    path.chmod(0o644)
    path.write_text(json.dumps(document))
    done = redact("run", "-q", *ONE_MODEL_FLAGS, "--bleep-words", "Martinez", clip)
    assert done.returncode == 3 and "custody log" in done.stderr


@pytest.mark.parametrize("sound", ["none", "silence"])
def test_a_clip_without_speech_passes_cleanly(tmp_path, sound):
    clip = write_clip(tmp_path / "quiet.mp4", count=25, audio=sound == "silence")
    if sound == "silence":  # the test clips' sound is a tone: replace it by true silence
        clip = silent_copy(clip, tmp_path / "silent.mov")
    if sound == "none":
        done = redact("run", "-q", *ONE_MODEL_FLAGS, "--bleep-patterns", "numbers,dates,emails", clip)
    else:  # analysed and transcribed in one go, then rendered from both
        analysed = redact("analyze", "-q", *ONE_MODEL_FLAGS, "--transcribe", clip)
        assert analysed.returncode == 0 and "0 words in" in analysed.stdout, analysed.stderr
        done = redact("render", "-q", "--bleep-patterns", "numbers,dates,emails", clip)
    assert done.returncode == 0, done.stderr
    transcript = json.loads(Path(f"{clip}.transcript.json").read_text())
    assert transcript["words"] == []
    assert (transcript["audio_stream"] is None) == (sound == "none")
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert log["decisions"]["audio"] == []


def silent_copy(clip: Path, out: Path) -> Path:
    """``clip``'s picture with 3 s of digital silence (PCM) as its sound."""
    with av.open(str(clip)) as src, av.open(str(out), "w", format="mov") as dst:
        video = dst.add_stream_from_template(src.streams.video[0])
        audio = dst.add_stream("pcm_s16le", rate=16000, layout="mono")
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = video
                dst.mux(packet)
        from fractions import Fraction

        for start in range(0, 16000 * 3, 1024):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.int16), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
            dst.mux(audio.encode(frame))
        dst.mux(audio.encode(None))
    return out


def test_without_the_speech_extra_the_commands_say_how_to_install_it(tmp_path):
    shadow = tmp_path / "shadow"
    (shadow / "faster_whisper").mkdir(parents=True)
    (shadow / "faster_whisper" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'faster_whisper'\", name='faster_whisper')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")])}
    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    done = redact("transcribe", clip, env=env)
    assert done.returncode == 5 and "pip install 'redact[speech]'" in done.stderr
    assert not Path(f"{clip}.seal.json").exists()  # refused before anything was sealed
    run = redact("run", "-q", "--bleep-words", "Martinez", clip, env=env)
    assert run.returncode == 5 and "redact[speech]" in run.stderr
    analysed = redact("analyze", "-q", "--transcribe", clip, env=env)
    assert analysed.returncode == 5 and not Path(f"{clip}.analysis.json").exists()


def test_a_batch_manifest_bleeps_each_rows_words_and_resumes_without_transcribing_again(tmp_path):
    from redact.batch import BatchSettings, run_batch

    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    manifest = tmp_path / "request-19.csv"
    manifest.write_text('path,kinds,bleep_words,bleep_patterns\nspoken_name.mov,face,"Daniel Martinez",numbers\n')
    settings = BatchSettings(preset="fast", quiet=True, workers=0)
    first = run_batch(manifest, settings)
    assert (first.done, first.failed) == (1, 0), first.failures
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert {a["reason"] for a in log["decisions"]["audio"]} == {
        "spoken: word list entry 1",
        "spoken: a number of 5 or more digits",
    }
    for report in ("batch-report.json", "batch-report.html", f"{clip.name}.redacted.json"):
        assert "martinez" not in (tmp_path / report).read_text().lower()  # the request's words counted only
    assert json.loads((tmp_path / "batch-report.json").read_text())["clips"][0]["job"]["bleep_words"] == 1
    transcript = Path(f"{clip}.transcript.json").stat().st_mtime_ns
    again = run_batch(manifest, settings)
    assert (again.done, again.skipped) == (0, 1)  # verified and adopted, not redone
    manifest.write_text('path,kinds,bleep_words\nspoken_name.mov,face,"Baker Street"\n')
    changed = run_batch(manifest, settings)
    assert changed.done == 1 and changed.failed == 0
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert [a["reason"] for a in log["decisions"]["audio"]] == ["spoken: word list entry 1"]
    street = next(p for p in TRUTH["phrases"] if "Baker" in p["text"])
    (bleep,) = log["decisions"]["audio"]
    assert bleep["start"] < street["end"] and bleep["end"] > street["start"]
    assert Path(f"{clip}.transcript.json").stat().st_mtime_ns == transcript  # transcribed once
    everywhere = run_batch(manifest, BatchSettings(preset="fast", quiet=True, workers=0, bleep_patterns=("numbers",)))
    assert everywhere.done == 1  # the batch's patterns, for the row that names none
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert {a["reason"] for a in log["decisions"]["audio"]} == {
        "spoken: word list entry 1",
        "spoken: a number of 5 or more digits",
    }
    bad = tmp_path / "bad.csv"
    bad.write_text("path,bleep_patterns\nspoken_name.mov,phones\n")
    with pytest.raises(Exception, match="bleep_patterns: unknown bleep pattern phones"):
        run_batch(bad, settings)


def test_a_second_audio_stream_is_said_not_to_be_transcribed(tmp_path):
    clip = write_clip(tmp_path / "two_mics.mp4", count=25, audio=["aac", "aac"])
    done = redact("transcribe", "-q", clip)
    assert done.returncode == 0 and "only the first of 2 audio streams was transcribed" in done.stdout
    assert json.loads(Path(f"{clip}.transcript.json").read_text())["other_audio_streams"] == 1


def test_a_word_not_found_or_not_given_as_a_hint_is_a_warning_a_clerk_cannot_miss(tmp_path):
    """A word list entry the transcript says nowhere bleeps nothing: that once said OK. Now the
    run exits 10 with a warning per entry (named on the terminal, by number in the log), and a
    transcript reused from before the words were known says it was made without them as hints."""
    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    assert redact("analyze", "-q", *ONE_MODEL_FLAGS, clip).returncode == 0
    assert redact("transcribe", "-q", clip).returncode == 0  # no hints
    done = redact("render", "-q", "--bleep-words", "Martinez; Kowalski", clip)
    assert done.returncode == 10, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("redact: warning:")]
    assert len(warnings) == 2, done.stderr
    assert "matched 'Kowalski'" in warnings[0] and "Martinez" not in warnings[0]
    assert "without 'Martinez', 'Kowalski' as a hint" in warnings[1]
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert log["transcript"]["unmatched_entries"] == [2] and log["transcript"]["not_hinted_entries"] == [1, 2]
    assert "Kowalski" not in json.dumps(log) and "entry 2" in log["warnings"][0]
    assert Path(f"{clip}.redacted.mp4").exists()  # the derivative is made: Martinez is bleeped
    assert [a["reason"] for a in log["decisions"]["audio"]] == ["spoken: word list entry 1"]


def test_a_german_name_number_and_registration_are_bleeped_wherever_said_in_german(tmp_path):
    """The German sample (espeak-ng) says "Jürgen Müller" and later "Herrn Müller", a phone number
    digit by digit and a registration letter by letter. Transcribed in German (Whisper base),
    `--bleep-words "Müller"` bleeps both names, the patterns the number and the registration,
    and every other sample stays as it was."""
    german = SAMPLES / "gesprochen_de.mov"
    truth = json.loads((SAMPLES / "gesprochen_de.truth.json").read_text())
    clip = tmp_path / german.name
    shutil.copyfile(german, clip)
    ran = redact("run", "-q", *ONE_MODEL_FLAGS, "--language", "de", "--bleep-words", "Müller",
                 "--bleep-patterns", "numbers,plates", clip)  # fmt: skip
    # a synthetic German voice: Whisper base hears espeak-ng's German as Latin (probability 0.3-0.7)
    # and is unsure of many words; either may be warned of (exit 10), nothing else
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert ran.returncode in (0, 10), ran.stderr
    assert all("unsure of what it heard" in w or "sounds like language 'la'" in w for w in log["warnings"])
    assert log["transcript"]["model"] == "whisper-base" and log["transcript"]["language"] == "de"
    assert log["parameters"]["language"] == "de" and "Müller" not in json.dumps(log)
    audio = log["decisions"]["audio"]
    ranges = [(a["start"], a["end"]) for a in audio]
    targets = [p for p in truth["phrases"] if p["role"] in ("name", "number", "plate")]
    for phrase in targets:  # both names, the number, the registration: each whole
        assert any(a <= phrase["start"] and phrase["end"] <= b for a, b in ranges), phrase["role"]
    assert {a["reason"] for a in audio} == {
        "spoken: word list entry 1",
        "spoken: a number of 5 or more digits",
        "spoken: a vehicle registration",
    }
    assert_bleeped_there_only(clip, ranges, targets, truth["frames"])


def test_speech_heard_as_another_language_than_asked_is_a_warning(tmp_path):
    """English speech transcribed as German (the clerk's default, the wrong clip): the transcript
    says which language Whisper heard, and `transcribe` warns and exits 10."""
    clip = tmp_path / SPOKEN.name
    shutil.copyfile(SPOKEN, clip)
    done = redact("transcribe", "-q", "--language", "de", clip)
    assert done.returncode == 10, done.stderr
    assert "sounds like language 'en'" in done.stderr and "--language en" in done.stderr
    document = json.loads(Path(f"{clip}.transcript.json").read_text())
    assert document["language"] == "de" and document["language_heard"] == "en"
    assert document["model"]["name"] == "whisper-base"
    bad = redact("transcribe", "-q", "--force", "--language", "deutsch", clip)
    assert bad.returncode == 2 and "not a language code" in bad.stderr


def test_a_batch_row_names_the_language_of_its_speech(tmp_path):
    """A disclosure batch of German clips: the manifest's `language` column reaches the
    transcript and the log; a language that is no language code fails the manifest, untouched."""
    from redact.batch import BatchSettings, run_batch
    from redact.batch.source import ManifestProblems

    clip = tmp_path / "gesprochen_de.mov"
    shutil.copyfile(SAMPLES / "gesprochen_de.mov", clip)
    bad = tmp_path / "bad.csv"
    bad.write_text('path,kinds,bleep_words,language\ngesprochen_de.mov,face,"Müller",deutsch\n')
    with pytest.raises(ManifestProblems, match="language 'deutsch' is not a language code"):
        run_batch(bad, BatchSettings(preset="fast", quiet=True, workers=0))
    assert not Path(f"{clip}.seal.json").exists()
    manifest = tmp_path / "request-20.csv"
    manifest.write_text('path,kinds,bleep_words,language\ngesprochen_de.mov,face,"Müller",de\n')
    done = run_batch(manifest, BatchSettings(preset="fast", quiet=True, workers=0))
    assert (done.done, done.failed) == (1, 0), done.failures
    log = json.loads(Path(f"{clip}.redacted.json").read_text())
    assert log["parameters"]["language"] == "de" and log["transcript"]["language"] == "de"
    truth = json.loads((SAMPLES / "gesprochen_de.truth.json").read_text())
    names = [p for p in truth["phrases"] if p["role"] == "name"]
    ranges = [(a["start"], a["end"]) for a in log["decisions"]["audio"]]
    assert all(any(a <= n["start"] and n["end"] <= b for a, b in ranges) for n in names)
