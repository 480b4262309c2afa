"""Transcribe: the clip's speech into ``NAME.ext.transcript.json`` (the ``redact[speech]`` extra),
and the bleeped ranges a redaction's spoken words and patterns give from it.

Like the analysis, a transcript is made once per sealed original and reused: a clerk who adds
a name to withhold pays a transcode, not a transcription. Rendering never runs the model: it
refuses to bleep words without a transcript and says how to make one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInputError, OutputExistsError
from ..evidence.hashing import hash_file
from ..i18n import N_, Listed, Msg, as_record, from_record
from ..options import RedactOptions, usable_cores
from ..review.decisions import AudioRange, Decisions
from ..speech.transcript import Transcript
from ..speech.transcript_file import read_transcript, write_transcript
from .frames import Timer
from .prepare import Prepared, clip_layout, prepare


@dataclass(frozen=True)
class TranscriptResult:
    path: Path
    sha256: str
    words: int
    duration_s: float  # of the sound transcribed
    seconds: float
    damaged_packets: int = 0
    stopped_early: str | None = None
    other_streams: int = 0
    doubtful: float | None = None  # the median word confidence, when too low to rely on
    language: str | None = None  # transcribed in
    language_heard: str | None = None
    language_probability: float | None = None
    language_warning: str | None = None  # heard as another language than asked, or not sure which


def transcribe_file(
    path: str | os.PathLike,
    options: RedactOptions | None = None,
    case_dir: str | os.PathLike | None = None,
    hints: tuple[str, ...] = (),
) -> TranscriptResult:
    """Seal (or verify) the original and write its transcript beside the seal. ``hints``: names
    and words the model is told it may hear (from the case: they are heard right more often)."""
    from ..speech.model import require_speech
    from ..speech.transcribe import language_warning

    options = options or RedactOptions()
    layout = clip_layout(path, case_dir)
    if layout.transcript.exists() and not options.force:
        raise OutputExistsError(
            N_("{name} already exists"),
            layout.original,
            hint=N_("use --force to transcribe again"),
            name=layout.transcript.name,
        )
    require_speech()  # before anything is sealed: say how to install it
    started = time.perf_counter()
    prepared = prepare(layout, options, Timer())
    transcript, sha = transcribe_prepared(prepared, options, hints)
    return TranscriptResult(
        layout.transcript,
        sha,
        len(transcript.words),
        transcript.duration_s,
        time.perf_counter() - started,
        transcript.damaged_packets,
        transcript.stopped_early,
        transcript.other_streams,
        transcript.doubtful,
        transcript.language,
        transcript.language_heard,
        transcript.language_probability,
        language_warning(transcript),
    )


def transcribe_prepared(
    prepared: Prepared, options: RedactOptions, hints: tuple[str, ...] = ()
) -> tuple[Transcript, str]:
    """Transcribe a sealed (or just verified) original; its transcript and the file's SHA-256."""
    from ..speech.audio import speech_audio
    from ..speech.transcribe import transcribe

    layout = prepared.layout
    threads = options.workers or usable_cores()
    transcript = transcribe(speech_audio(layout.original), threads, "; ".join(hints) or None, options.language)
    sha = write_transcript(
        layout.transcript,
        transcript,
        layout.original,
        prepared.seal.sha256,
        layout.records,
        prepared.key,
        prepared.operator,
    )
    return transcript, sha


def spoken_decisions(prepared: Prepared, options: RedactOptions, transcribe_missing: bool) -> Decisions:
    """The bleeped ranges ``options``' spoken words and patterns give from the clip's transcript
    (made now when there is none and ``transcribe_missing``; else refused, exit 2)."""
    if not options.spoken:
        return Decisions()
    layout = prepared.layout
    reused = layout.transcript.exists()
    if reused:
        transcript = read_transcript(layout.transcript, layout.original, prepared.seal.sha256, prepared.trust)
        sha = hash_file(layout.transcript)
    elif transcribe_missing:  # the words to bleep are what the model is told to listen for
        transcript, sha = transcribe_prepared(prepared, options, options.bleep_words)
    else:
        raise BadInputError(
            N_("no transcript {name} to find the words to bleep in"),
            layout.original,
            hint=N_("run `redact transcribe` on the clip first"),
            name=layout.transcript.name,
        )
    source = {"sha256": sha, "model": transcript.model.get("name"), "words": len(transcript.words)}
    source.update(word_list_doubts(transcript, options.bleep_words, reused))
    source.update(language_doubts(transcript, options.language))
    audio = bleeped_ranges(transcript, options.bleep_words, options.bleep_patterns, options.bleep_margin)
    return Decisions(audio=audio, transcript=source)


def word_list_doubts(transcript: Transcript, entries: tuple[str, ...], reused: bool) -> dict:
    """Which word list entries (by number, never by text) the transcript says nowhere, and which
    it was made without as hints (a transcript reused from before the words were known)."""
    from ..speech.withhold import hint_digests, unmatched_entries

    doubts = {}
    if transcript.doubtful is not None:
        doubts["median_word_confidence"] = transcript.doubtful
    unmatched = unmatched_entries(transcript.words, entries)
    if unmatched:
        doubts["unmatched_entries"] = list(unmatched)
    told = set(transcript.settings.get("hint_words") or ())
    not_told = [n for n, entry in enumerate(entries, start=1) if not set(hint_digests(entry)) <= told]
    if reused and not_told:
        doubts["not_hinted_entries"] = not_told
    return doubts


def language_doubts(transcript: Transcript, asked: str) -> dict:
    """What the transcript's language gives a clerk to check: the language heard and how sure
    Whisper was, a warning where that is not the one asked for, and a transcript reused that was
    made in another language than the one asked for now."""
    from ..speech.transcribe import AUTO, language_warning

    doubts = {}
    if transcript.language is not None:
        doubts["language"] = transcript.language
    if transcript.language_heard is not None:
        doubts["language_heard"] = transcript.language_heard
        doubts["language_probability"] = transcript.language_probability
    warning = language_warning(transcript)
    made_in = transcript.settings.get("language", "en")  # transcripts before languages: tiny.en, English
    if asked != AUTO and made_in != asked and transcript.language != asked:
        warning = N_(
            "the transcript was made with --language {made_in}, not {asked} as asked now: transcribe again"
            " (`redact transcribe --force --language {asked}`)",
            made_in=made_in,
            asked=asked,
        )
    if warning is not None:  # in English, and as a message to show in the reader's language
        doubts["language_warning"], doubts["language_warning_said"] = warning, as_record(warning)
    return doubts


def doubt_warning(median: float, model: str | None) -> Msg:
    return N_(
        "the speech model was unsure of what it heard (median word confidence {median:.2f}): the speech may"
        " not be in a language {model} understands, or is too noisy; words to withhold may not"
        " have been found: listen to the whole recording",
        median=median,
        model=model or N_("the model"),
    )


def warnings_of(source: dict, words: tuple[str, ...] = ()) -> tuple[str, ...]:
    """What a person must act on in what the spoken words gave (``source``: the decisions'
    ``transcript`` member); ``words`` (the word list, as the clerk typed it) names the entries on
    the clerk's own terminal, else they are named by number, as in the log and batch report."""

    def named(numbers) -> Listed:
        return Listed([repr(words[n - 1]) if n <= len(words) else N_("entry {n}", n=n) for n in numbers], ", ")

    said = []
    if source.get("language_warning"):
        said.append(from_record(source.get("language_warning_said")) or source["language_warning"])
    if source.get("median_word_confidence") is not None:
        said.append(doubt_warning(source["median_word_confidence"], source.get("model")))
    if source.get("unmatched_entries"):
        said.append(
            N_(
                "no word of the transcript matched {entries}: nothing was bleeped for it; it may still be audible"
                " (misheard, or spelt otherwise): listen, and add a mute range if it is said",
                entries=named(source["unmatched_entries"]),
            )
        )
    if source.get("not_hinted_entries"):
        said.append(
            N_(
                "the transcript was made without {entries} as a hint: names are heard right more often when given"
                " (`redact transcribe --force --hints ...`)",
                entries=named(source["not_hinted_entries"]),
            )
        )
    return tuple(said)


def bleeped_ranges(transcript: Transcript, words, patterns, margin: float | None) -> tuple[AudioRange, ...]:
    """Where ``transcript`` says the words and patterns, as bleeped ranges."""
    from ..speech.withhold import withheld_ranges

    found = withheld_ranges(transcript.words, words, patterns, margin)
    # not cut at the clip's probed duration: that may be an estimate (MPEG-TS) or end before
    # its sound does, and a name said at the tail must not stay audible
    return tuple(AudioRange(r.start, r.end, "bleep", r.reason) for r in found)
