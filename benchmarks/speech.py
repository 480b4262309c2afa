"""How well are spoken names and numbers found and bleeped? Synthetic speech with exact truth.

    python benchmarks/speech.py [--voices en-us,en-gb,...] [--noise 10] [--margins 0.25,0.5] [--threads 2]
    python benchmarks/speech.py --language de --speeds 130,150 --calls 5 [--hints] [--noise 10]

Needs espeak-ng (``apt install espeak-ng``) and the speech extra. Each utterance is a short
radio call made of phrases spoken one at a time by espeak-ng (``samples/make_speech_sample.py``),
so where each phrase is heard is known exactly: a name, a street, a date of birth and a phone
number among ordinary words; in German (``--language de``, five German voices of espeak-ng) also a
vehicle registration said letter by letter, bleeped by the ``plates`` pattern. ``--noise DB`` adds
pink noise at that signal-to-noise ratio (street and wind on a body-worn microphone). Each
utterance is transcribed as ``redact transcribe`` does, then bleeped as ``--bleep-words "NAME;
STREET" --bleep-patterns numbers,dates[,plates]`` would. Reported:

- word error rate against what was said (case and punctuation ignored, numbers compared digit
  by digit: "oh seven nine" and "079" are both 0 7 9; "eighty two" against "82" still counts
  one error, so dates weigh a little against the model);
- per kind of target (name, street, date, number): the share of targets whose whole time is
  bleeped ("withheld"), and the share of their time bleeped;
- the share of the other speech's time bleeped (what was lost that did not need to be);
- CPU seconds per minute of audio, and wall seconds per minute, at ``--threads``.

Synthetic voices are clearer than a street: these figures are an upper bound on what real
footage gives, which is why the review page makes the clerk listen.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))

from make_speech_sample import RATE, spoken  # noqa: E402

from redact.speech import german  # noqa: E402
from redact.speech.audio import SpeechAudio  # noqa: E402
from redact.speech.model import MODELS  # noqa: E402
from redact.speech.transcribe import model_for, transcribe  # noqa: E402
from redact.speech.withhold import NUMBER_WORDS, normal, withheld_ranges  # noqa: E402

NAMES = ["Daniel Martinez", "Aisha Okafor", "Siobhan Kelly", "Wojciech Kowalski", "Mei Chen", "Tyrone Jackson"]
NAMES += ["Priya Raman", "Kevin Smith"]
STREETS = ["Baker Street", "Elm Road", "Station Avenue", "Mill Lane", "Church Street", "Park Road", "Queens Drive"]
STREETS += ["Victoria Road"]
DATES = ["the fifth of May nineteen ninety", "March third nineteen eighty two", "the twelfth of June two thousand"]
DATES += ["October first nineteen seventy five"]
PHONES = ["oh seven nine one one, two three four five six", "five five five, eight six seven, five three oh nine"]
PHONES += ["oh two oh seven, nine four six, one oh one oh", "nine one seven, four four two, six eight eight one"]


GERMAN_NAMES = ["Jürgen Müller", "Sabine Schröder", "Thomas Weißmann", "Katrin Böhm", "Mehmet Yilmaz"]
GERMAN_NAMES += ["Anna Kowalczyk", "Stefan Hoffmann", "Claudia Krüger"]
GERMAN_STREETS = ["Hauptstraße zwölf", "Lindenweg drei", "Goetheplatz sieben", "Bahnhofstraße einundzwanzig"]
GERMAN_STREETS += ["Schillerstraße acht", "Kirchgasse fünf", "Rosenallee neunzehn", "Birkenweg vierzehn"]
GERMAN_DATES = ["dritten März neunzehnhundertneunzig", "zwölften Juni zweitausend"]
GERMAN_DATES += ["ersten Oktober neunzehnhundertfünfundsiebzig", "fünften Mai neunzehnhundertachtzig"]
GERMAN_PHONES = ["null eins sieben drei, vier fünf sechs sieben acht", "null drei null, zwei vier sechs acht eins"]
GERMAN_PHONES += ["null eins fünf zwei, doppel drei vier fünf sechs", "null acht neun, eins zwei drei, vier fünf sechs"]
GERMAN_PLATES = ["B M K eins zwei drei vier", "M A B fünf sechs", "H H X Y neun neun", "K L eins zwei drei"]
GERMAN_VOICES = "de,de+m3,de+klatt,de+m1,de+f2"


# A radio call as said, in order: plain speech, or (role, choices), the k-th call saying choices[k]
ENGLISH_CALL = [
    "Control, this is unit four.", "The driver gave his name as", ("name", NAMES), "He lives on",
    ("street", STREETS), "Date of birth", ("date", DATES), "and a phone number of", ("number", PHONES), "Over.",
]  # fmt: skip
# German: the same, with a registration said letter by letter
GERMAN_CALL = [
    "Zentrale, hier ist Streife vier.", "Der Fahrer heißt", ("name", GERMAN_NAMES), "Er wohnt in der",
    ("street", GERMAN_STREETS), "Geboren am", ("date", GERMAN_DATES), "Seine Telefonnummer ist",
    ("number", GERMAN_PHONES), "Das Kennzeichen ist", ("plate", GERMAN_PLATES), "Ende.",
]  # fmt: skip


def utterance(k: int, call: list = ENGLISH_CALL) -> list[tuple[str, str]]:
    """The k-th radio call: phrases and their roles (name, street, date, number, plate or speech)."""
    return [
        (phrase, "speech") if isinstance(phrase, str) else (phrase[1][k % len(phrase[1])] + ".", phrase[0])
        for phrase in call
    ]


def wer_tokens(text: str) -> list[str]:
    """Words as compared for the error rate: lower case, no punctuation, digits one by one."""
    out = []
    for word in re.split(r"[\s\-]+", text):
        key = normal(word)
        if not key:
            continue
        digits = NUMBER_WORDS.get(key) or german.number_digits(key)
        if key.isdigit():
            out += list(key)
        elif digits:  # "nineteen ninety" and "1990" both as 1 9 9 0 ("eighty two" stays 8 0 2)
            out += list(digits)
        else:
            out.append(key)
    return out


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def covered(start: float, end: float, ranges: list[tuple[float, float]]) -> float:
    """Share of [start, end] inside the union of ``ranges``."""
    t = np.linspace(start, end, 200)
    inside = np.zeros(len(t), bool)
    for a, b in ranges:
        inside |= (t >= a) & (t <= b)
    return float(inside.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", help="espeak-ng voices (default: five English, or five German with --language de)")
    parser.add_argument("--speeds", default="150,175", help="espeak-ng words per minute")
    parser.add_argument("--calls", type=int, default=8, help="utterances per voice and speed")
    parser.add_argument("--noise", type=float, default=None, help="add pink noise at this SNR (dB)")
    parser.add_argument("--margins", default="default", help="bleep margins (s) to score, comma-separated, or default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hints", action="store_true", help="tell the model the name and street (hotwords)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--language", default="en", help="asked of the model: a language code, or auto")
    parser.add_argument("--model", choices=[m.name for m in MODELS], help="another model than redact's choice")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    model = next((m for m in MODELS if m.name == args.model), None)
    is_german = args.language == "de"
    args.voices = args.voices or (GERMAN_VOICES if is_german else "en-us,en-gb,en-gb-scotland,en-029,en-gb-x-rp")
    call = GERMAN_CALL if is_german else ENGLISH_CALL
    kinds = tuple(phrase[0] for phrase in call if not isinstance(phrase, str))
    patterns = ["numbers", "dates", "plates"] if is_german else ["numbers", "dates"]
    # "default": redact's own padding (0.25 s around the name and street, 0.5 s around patterns)
    margins = [None if m == "default" else float(m) for m in args.margins.split(",")]
    withheld = {m: {k: [0, 0] for k in kinds} for m in margins}
    time_share = {m: {k: [] for k in kinds} for m in margins}
    other_bleeped: dict[float, list] = {m: [] for m in margins}
    misses: dict[float, list[str]] = {m: [] for m in margins}
    errors = reference_words = calls = 0
    doubtful: list[str] = []  # calls whose transcript is flagged as not to be relied on (a false alarm here)
    audio_s = cpu_s = wall_s = 0.0
    heard_as: dict[str | None, int] = {}  # the language Whisper heard: calls
    for voice in args.voices.split(","):
        for speed in (int(s) for s in args.speeds.split(",")):
            for k in range(args.calls):
                phrases = utterance(k + calls, call)
                samples, truth = spoken(phrases, voice, speed)
                if args.noise is not None:
                    level = np.sqrt(np.mean(samples[samples != 0] ** 2))
                    samples = samples + pink_noise(len(samples), rng) * level / 10 ** (args.noise / 20)
                audio = SpeechAudio(samples.astype(np.float32), 0.0, 0)
                cpu, wall = time.process_time(), time.perf_counter()
                hints = f"{phrases[2][0].rstrip('.')}; {phrases[4][0].rstrip('.')}" if args.hints else None
                transcript = transcribe(audio, args.threads, hints, args.language, model)
                cpu_s += time.process_time() - cpu
                wall_s += time.perf_counter() - wall
                audio_s += len(samples) / RATE
                heard_as[transcript.language_heard] = heard_as.get(transcript.language_heard, 0) + 1
                if transcript.doubtful is not None:
                    doubtful.append(f"{voice}@{speed} call {k} (median word confidence {transcript.doubtful})")
                said = " ".join(text for text, _ in phrases)
                heard = "".join(w.text for w in transcript.words)
                ref, hyp = wer_tokens(said), wer_tokens(heard)
                errors += edit_distance(ref, hyp)
                reference_words += len(ref)
                entries = [phrases[2][0].rstrip("."), phrases[4][0].rstrip(".")]  # the name, the street
                for margin in margins:
                    found = withheld_ranges(transcript.words, entries, patterns, margin)
                    ranges = [(r.start, r.end) for r in found]
                    for phrase in truth:
                        share = covered(phrase["start"], phrase["end"], ranges)
                        if phrase["role"] == "speech":
                            other_bleeped[margin].append((share, phrase["end"] - phrase["start"]))
                            continue
                        withheld[margin][phrase["role"]][1] += 1
                        time_share[margin][phrase["role"]].append(share)
                        if share >= 0.999:
                            withheld[margin][phrase["role"]][0] += 1
                        else:
                            misses[margin].append(
                                f"{voice}@{speed} {phrase['role']} {phrase['text']!r} ({100 * share:.0f} % bleeped)"
                                f" heard as {heard.strip()!r}"
                            )
            calls += args.calls
    result = {
        "voices": args.voices.split(","),
        "speeds": [int(s) for s in args.speeds.split(",")],
        "utterances": calls,
        "noise_snr_db": args.noise,
        "hints": args.hints,
        "language": args.language,
        "model": (model or model_for(args.language)).name,
        "threads": args.threads,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "audio_s": round(audio_s, 1),
        "wer": round(errors / max(1, reference_words), 4),
        "cpu_s_per_audio_min": round(60 * cpu_s / audio_s, 2),
        "flagged_doubtful": doubtful,
        "language_heard": {str(k): v for k, v in sorted(heard_as.items(), key=lambda kv: -kv[1])},
        "wall_s_per_audio_min": round(60 * wall_s / audio_s, 2),
        "by_margin": {},
    }
    print(f"{calls} calls, {result['audio_s']} s of audio; word error rate {100 * result['wer']:.1f} %;"
          f" CPU {result['cpu_s_per_audio_min']} s and wall {result['wall_s_per_audio_min']} s per minute of audio"
          f" at {args.threads} threads; {len(doubtful)} flagged as not to be relied on;"
          f" language heard: {result['language_heard']}")  # fmt: skip
    for margin in margins:
        lost = sum(s * d for s, d in other_bleeped[margin]) / max(1e-9, sum(d for _, d in other_bleeped[margin]))
        label = "default" if margin is None else str(margin)
        result["by_margin"][label] = {
            "withheld": {
                k: {"whole": v[0], "of": v[1], "share": round(v[0] / max(1, v[1]), 3)}
                for k, v in withheld[margin].items()
            },
            "time_bleeped": {k: round(float(np.mean(v)), 3) if v else None for k, v in time_share[margin].items()},
            "other_speech_time_bleeped": round(lost, 3),
            "misses": misses[margin],
        }
        print(f"margin {label}{'' if margin is None else ' s'}:")
        for k in kinds:
            w = result["by_margin"][label]["withheld"][k]
            share = result["by_margin"][label]["time_bleeped"][k] or 0
            whole = f"{w['whole']}/{w['of']} wholly bleeped ({100 * w['share']:.1f} %)"
            print(f"  {k:7s}: {whole}, {100 * share:.1f} % of their time")
        print(f"  other speech bleeped: {100 * lost:.1f} % of its time")
        for miss in misses[margin]:
            print("  miss:", miss)
    args.out.mkdir(parents=True, exist_ok=True)
    condition = ("clean" if args.noise is None else f"snr{args.noise:g}") + ("_hints" if args.hints else "")
    name = f"speech_{args.language}_{result['model']}_{condition}.json"
    (args.out / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
