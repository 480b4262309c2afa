"""Make ``samples/spoken_name.mov`` and its ground truth: a clip whose sound says a name, a
street and a phone number at known times; with ``de``, ``samples/gesprochen_de.mov``: the same
in German (a name, a street with a house number, a phone number said digit by digit and a car
registration said aloud), for the German transcript work and the check that an English-only
model's transcript of German speech is flagged as not to be relied on.

Material: speech synthesised by Debian's ``espeak-ng`` (its voices' output is ours to use;
the program itself is not shipped), one phrase at a time, so the start and end of each
phrase (the name among them) are known exactly: each phrase's leading and trailing silence
is trimmed and it is placed at a chosen time. The picture is a moving gradient (nothing to
detect). The sound is 16-bit PCM at 16 kHz, as cheap body-worn cameras record it: a derivative
keeps it losslessly (FLAC), so tests can compare the samples outside a bleeped range exactly.

    apt install espeak-ng
    python samples/make_speech_sample.py      # writes the clip and spoken_name.truth.json
    python samples/make_speech_sample.py de   # writes gesprochen_de.mov and gesprochen_de.truth.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
CLIP = HERE / "spoken_name.mov"
TRUTH = HERE / "spoken_name.truth.json"
RATE, FPS, SIZE = 16_000, 25, (160, 120)
VOICE, SPEED = "en-us", 150  # words per minute
LEAD_S, GAP_S, TAIL_S = 0.6, 0.25, 0.8
# (text, role): the roles tests and the benchmark look for
PHRASES = [
    ("The witness is", "speech"),
    ("Daniel Martinez.", "name"),
    ("He lives on Baker Street.", "speech"),
    ("Call him on", "speech"),
    ("oh seven nine one one, two three four five six.", "number"),
    ("That is all.", "speech"),
]
GERMAN = [
    ("Der Zeuge heißt Jürgen", "speech"),
    ("Müller.", "name"),
    ("Er wohnt in der Hauptstraße zwölf.", "street"),
    ("Seine Nummer ist", "speech"),
    ("null eins sieben drei, vier fünf sechs sieben acht.", "number"),
    ("Das Kennzeichen ist", "speech"),
    ("B M K eins zwei drei vier.", "plate"),
    ("Der Wagen gehört Herrn", "speech"),
    ("Müller.", "name"),
]
# the voice, and its speed in words per minute. German: espeak-ng's de voice with its m3 variant,
# at 120 words a minute, which Whisper base transcribes best of the variants tried (RESULTS.md, 2026-12-07)
MADE = {"en": ("spoken_name", PHRASES, VOICE, SPEED), "de": ("gesprochen_de", GERMAN, "de+m3", 120)}


def say(text: str, voice: str = VOICE, speed: int = SPEED) -> np.ndarray:
    """``text`` spoken by espeak-ng, as float samples at RATE, silence at both ends trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
        with wave.open(str(out)) as w:
            rate = w.getframerate()
            samples = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768
    samples = np.interp(np.arange(0, len(samples) * RATE / rate) * rate / RATE, np.arange(len(samples)), samples)
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[loud[0] : loud[-1] + 1].astype(np.float32) if loud.size else samples[:0]


def spoken(phrases: list[tuple[str, str]], voice: str = VOICE, speed: int = SPEED) -> tuple[np.ndarray, list[dict]]:
    """The phrases one after another (pauses between them) and where each is heard."""
    parts, truth, at = [np.zeros(int(LEAD_S * RATE), np.float32)], [], LEAD_S
    for text, role in phrases:
        samples = say(text, voice, speed)
        truth.append({"text": text, "role": role, "start": round(at, 4), "end": round(at + len(samples) / RATE, 4)})
        parts += [samples, np.zeros(int(GAP_S * RATE), np.float32)]
        at += len(samples) / RATE + GAP_S
    parts.append(np.zeros(int(TAIL_S * RATE), np.float32))
    return np.concatenate(parts), truth


def write_clip(path: Path, samples: np.ndarray) -> int:
    """A MOV with a moving gradient and ``samples`` as 16-bit PCM; its frame count."""
    frames = int(np.ceil(len(samples) / RATE * FPS))
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16)
    with av.open(str(path), "w", format="mov") as out:
        video = out.add_stream("libx264", rate=FPS, options={"crf": "30"})
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.time_base = Fraction(1, FPS)
        audio = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
        x = np.arange(SIZE[0])[None, :, None]
        for i in range(frames):
            picture = np.broadcast_to((x + 3 * i) % 256, (SIZE[1], SIZE[0], 3)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        block = 1024
        for start in range(0, len(pcm), block):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + block], format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return frames


def main(language: str = "en") -> None:
    name, phrases, voice, speed = MADE[language]
    clip, truth_file = HERE / f"{name}.mov", HERE / f"{name}.truth.json"
    samples, truth = spoken(phrases, voice, speed)
    frames = write_clip(clip, samples)
    document = {
        "clip": clip.name,
        "language": language,
        "made_by": f"samples/{Path(__file__).name}: espeak-ng voice {voice} at {speed} words per minute",
        "audio": {"codec": "pcm_s16le", "rate": RATE, "seconds": round(len(samples) / RATE, 4)},
        "frames": frames,
        "phrases": truth,
    }
    truth_file.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {clip.name} ({clip.stat().st_size} bytes, {frames} frames) and {truth_file.name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
