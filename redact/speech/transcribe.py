"""Speech to words with start and end times, offline: faster-whisper on the pinned model.

Settings chosen for evidence rather than subtitles: every word timed (``word_timestamps``),
silence skipped by faster-whisper's own voice detector (Silero VAD, shipped in its wheel),
which also stops Whisper inventing words in silence, and no conditioning on earlier text,
which stops it repeating a phrase through a long recording. English only: the shipped model
is tiny.en (measured in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from .model import WHISPER_TINY_EN, SpeechModel, locate_speech_model, require_speech
from .transcript import Transcript, Word

if TYPE_CHECKING:
    from .audio import SpeechAudio

SETTINGS = {
    "language": "en",
    "beam_size": 5,
    "word_timestamps": True,
    "vad_filter": True,
    "condition_on_previous_text": False,
    "compute_type": "int8",
}


def model_record(model: SpeechModel = WHISPER_TINY_EN) -> dict:
    """What a transcript and a log say about the model: name, package, licence, file hashes."""
    return {k: v for k, v in asdict(model).items() if k != "source"}


def transcribe(audio: SpeechAudio | None, threads: int | None = None, hints: str | None = None) -> Transcript:
    """The words said in ``audio`` (None, or silence: no words), on the clip's clock. ``hints``:
    words the model is told it may hear (faster-whisper's ``hotwords``), recorded in the settings
    by count and by a digest of each word, so a later bleep can tell whether its words were hints."""
    from .audio import RATE

    record, started = model_record(), time.perf_counter()
    if audio is None or len(audio.samples) < RATE // 10:
        if audio is None:
            return Transcript((), None, 0.0, record, dict(SETTINGS))
        return Transcript(
            (),
            audio.stream,
            audio.duration_s,
            record,
            dict(SETTINGS),
            0.0,
            audio.damaged_packets,
            audio.stopped_early,
            audio.other_streams,
        )
    require_speech()
    import ctranslate2
    from faster_whisper import WhisperModel

    device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    from .withhold import hint_digests

    entries = [h for h in hints.split(";") if h.strip()] if hints else []
    told = sorted({digest for entry in entries for digest in hint_digests(entry)})
    settings = {**SETTINGS, "device": device, **({"hints": len(entries), "hint_words": told} if entries else {})}
    model = WhisperModel(
        str(locate_speech_model()),
        device=device,
        compute_type=SETTINGS["compute_type"],
        cpu_threads=threads or 0,
        local_files_only=True,
    )
    options = {k: v for k, v in SETTINGS.items() if k != "compute_type"}
    segments, _ = model.transcribe(audio.samples, **options, **({"hotwords": hints} if hints else {}))
    words = tuple(
        Word(audio.offset_s + w.start, audio.offset_s + w.end, w.word, w.probability)
        for segment in segments
        for w in segment.words or ()
    )
    seconds = time.perf_counter() - started
    return Transcript(
        words,
        audio.stream,
        audio.duration_s,
        record,
        settings,
        seconds,
        audio.damaged_packets,
        audio.stopped_early,
        audio.other_streams,
    )
