"""What a transcript holds: words with their times on the clip's clock. Plain data, no model."""

from __future__ import annotations

from dataclasses import dataclass, field

DOUBTFUL_MEDIAN = 0.6  # below this median word confidence a transcript is not to be relied on
MIN_WORDS_JUDGED = 5


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the start of the clip
    end: float
    text: str  # as the model wrote it, with its spacing and punctuation
    probability: float


@dataclass(frozen=True)
class Transcript:
    words: tuple[Word, ...]
    audio_stream: int | None  # None: the clip has no sound
    duration_s: float  # of the sound transcribed
    model: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0  # what transcribing took
    damaged_packets: int = 0  # of the sound, skipped: nothing said in them is in the transcript
    stopped_early: str | None = None  # why the sound could not be read to its end, if so
    other_streams: int = 0  # audio streams not transcribed: a second microphone's words are not in it
    language: str | None = None  # the language transcribed in (None: made before languages were recorded)
    language_heard: str | None = None  # the language Whisper heard, whatever was asked for
    language_probability: float | None = None  # how sure it was of that

    @property
    def doubtful(self) -> float | None:
        """The median confidence of the words when it is so low that the model probably did not
        understand the speech (another language than the model's, or noise), else None. Whisper
        tiny.en writes German as fluent English nonsense: median 0.45 on an espeak-ng German
        sentence, 0.97 on an English one (benchmarks/RESULTS.md)."""
        if len(self.words) < MIN_WORDS_JUDGED:
            return None
        ordered = sorted(w.probability for w in self.words)
        median = ordered[len(ordered) // 2]
        return round(median, 2) if median < DOUBTFUL_MEDIAN else None

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    def as_document(self) -> dict:
        return {
            "audio_stream": self.audio_stream,
            "duration_s": round(self.duration_s, 3),
            "model": self.model,
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
            "damaged_packets": self.damaged_packets,
            "stopped_early": self.stopped_early,
            "other_audio_streams": self.other_streams,
            "language": self.language,
            "language_heard": self.language_heard,
            "language_probability": self.language_probability,
            "words": [[round(w.start, 3), round(w.end, 3), w.text, round(w.probability, 3)] for w in self.words],
        }

    @classmethod
    def from_document(cls, document: dict) -> Transcript:
        words = tuple(Word(float(a), float(b), str(t), float(p)) for a, b, t, p in document["words"])
        return cls(
            words,
            document.get("audio_stream"),
            float(document.get("duration_s", 0.0)),
            dict(document.get("model", {})),
            dict(document.get("settings", {})),
            float(document.get("seconds", 0.0)),
            int(document.get("damaged_packets", 0)),
            document.get("stopped_early"),
            int(document.get("other_audio_streams", 0)),
            document.get("language"),
            document.get("language_heard"),
            document.get("language_probability"),
        )
