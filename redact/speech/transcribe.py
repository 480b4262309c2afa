"""Speech to words with start and end times, offline: faster-whisper on a pinned model.

Settings chosen for evidence rather than subtitles: every word timed (``word_timestamps``),
silence skipped by faster-whisper's own voice detector (Silero VAD, shipped in its wheel),
which also stops Whisper inventing words in silence, and no conditioning on earlier text,
which stops it repeating a phrase through a long recording.

Language: ``auto`` lets Whisper say which language it hears; ``de``, ``en`` and the rest are
transcribed as asked. Either way the language heard is detected and recorded with its
probability, so a clerk who asked for German and got English speech is told
(``language_warning``). Whisper base (multilingual) transcribes every language;
``model_for`` says which model each language gets (measured in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import re
import time
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import BadInputError
from ..i18n import N_
from .model import WHISPER_BASE, WHISPER_TINY_EN, SpeechModel, require_speech, speech_model_files
from .transcript import Transcript, Word

if TYPE_CHECKING:
    from .audio import SpeechAudio

AUTO = "auto"
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# a language heard at this probability or more, other than the one asked for, is warned of
MISMATCH_PROBABILITY = 0.5
SETTINGS = {
    "beam_size": 5,
    "word_timestamps": True,
    "vad_filter": True,
    "condition_on_previous_text": False,
    "compute_type": "int8",
}


def check_language(language: str) -> str:
    """``language`` as a Whisper language code or ``auto``; ``ValueError`` for anything else."""
    language = language.strip().lower()
    if language != AUTO and not LANGUAGE_CODE.match(language):
        raise ValueError(
            N_("language {language!r} is not a language code such as de or en, nor auto", language=language)
        )
    return language


def model_for(language: str) -> SpeechModel:
    """The model a language is transcribed with: Whisper tiny.en for English (measured against
    base on English: as good or better on names, numbers and dates at half the CPU,
    benchmarks/RESULTS.md 2026-12-07), Whisper base for German and every other language."""
    return WHISPER_TINY_EN if language == "en" else WHISPER_BASE


@lru_cache(maxsize=4)  # a batch or the review server transcribes many clips: each model loads once
def loaded(model: SpeechModel, device: str, threads: int | None):
    """``model`` in faster-whisper, from its checked files in memory (never a path or the hub)."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        model.name,  # an identifier only: the files come checked, from memory
        device=device,
        compute_type=SETTINGS["compute_type"],
        cpu_threads=threads or 0,
        local_files_only=True,
        files=dict(speech_model_files(model)),  # a copy: faster-whisper takes the tokenizer out of it
    )


def model_record(model: SpeechModel = WHISPER_BASE) -> dict:
    """What a transcript and a log say about the model: name, packages, licence, file hashes."""
    return model.record()


def language_warning(transcript: Transcript) -> str | None:
    """What a clerk must be told about the language of ``transcript``: speech heard as another
    language than the one asked for, or a language Whisper could not tell; else None."""
    heard, p = transcript.language_heard, transcript.language_probability
    asked = transcript.settings.get("language", AUTO)
    if heard is None or p is None:
        return None
    if asked != AUTO and heard != asked and p >= MISMATCH_PROBABILITY:
        return N_(
            "the speech sounds like language {heard!r} (probability {p:.2f}), not {asked!r} as asked: it was"
            " transcribed as {asked!r}; if that is not the language spoken, names may not have been heard:"
            " transcribe again with --language {heard} (or auto)",
            heard=heard,
            p=p,
            asked=asked,
        )
    if asked == AUTO and p < MISMATCH_PROBABILITY:
        return N_(
            "the language of the speech is uncertain (best guess {heard!r}, probability {p:.2f}): transcribed as"
            " {heard!r}; if that is wrong, transcribe again with --language (de, en, ...)",
            heard=heard,
            p=p,
        )
    return None


def transcribe(
    audio: SpeechAudio | None,
    threads: int | None = None,
    hints: str | None = None,
    language: str = AUTO,
    model_spec: SpeechModel | None = None,
) -> Transcript:
    """The words said in ``audio`` (None, or silence: no words), on the clip's clock, in
    ``language`` (``auto``: the one heard). ``hints``: words the model is told it may hear
    (faster-whisper's ``hotwords``), recorded in the settings by count and by a digest of each
    word, so a later bleep can tell whether its words were hints. ``model_spec``: another model
    than ``model_for``'s (benchmarks compare them)."""
    from .audio import RATE

    language = check_language(language)
    settings = {"language": language, **SETTINGS}
    started = time.perf_counter()
    if audio is None or len(audio.samples) < RATE // 10:
        record = model_record(model_spec or model_for(language))
        if audio is None:
            return Transcript((), None, 0.0, record, settings)
        return Transcript(
            (), audio.stream, audio.duration_s, record, settings, 0.0, audio.damaged_packets, audio.stopped_early,
            audio.other_streams,
        )  # fmt: skip
    require_speech()
    import ctranslate2

    from .withhold import hint_digests

    device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    entries = [h for h in hints.split(";") if h.strip()] if hints else []
    told = sorted({digest for entry in entries for digest in hint_digests(entry)})
    settings |= {"device": device, **({"hints": len(entries), "hint_words": told} if entries else {})}
    # the multilingual model listens first: which language is this, whatever was asked?
    listener = loaded(WHISPER_BASE, device, threads)
    if language != AUTO and language not in listener.supported_languages:
        raise BadInputError(N_("Whisper does not know the language {language!r}"), language=language)
    # the first 30 s of speech, up to 90 s where that is not clear
    heard, probability, _ = listener.detect_language(audio.samples, vad_filter=True, language_detection_segments=3)
    spoken = heard if language == AUTO else language
    model_spec = model_spec or model_for(spoken)
    model = listener if model_spec is WHISPER_BASE else loaded(model_spec, device, threads)
    options = {k: v for k, v in SETTINGS.items() if k != "compute_type"}
    segments, _ = model.transcribe(
        audio.samples,
        **({"language": spoken} if model_spec.multilingual else {}),
        **options,
        **({"hotwords": hints} if hints else {}),
    )
    words = tuple(
        Word(audio.offset_s + w.start, audio.offset_s + w.end, w.word, w.probability)
        for segment in segments
        for w in segment.words or ()
    )
    if not words:
        probability = None  # no speech: nothing to tell of its language
    record = model_record(model_spec)
    return Transcript(
        words,
        audio.stream,
        audio.duration_s,
        record,
        settings,
        time.perf_counter() - started,
        audio.damaged_packets,
        audio.stopped_early,
        audio.other_streams,
        language=spoken,
        language_heard=heard if probability is not None else None,
        language_probability=round(float(probability), 3) if probability is not None else None,
    )
