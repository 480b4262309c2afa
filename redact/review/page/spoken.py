"""What is said, on the review page: the transcript's words, and the ranges a word or pattern
the clerk chooses gives (every place it is said), to bleep. The words travel only between this
machine's server and its page; the decisions keep the ranges and a reason, never the word."""

from __future__ import annotations

import threading
from dataclasses import replace

from ...errors import translated
from ...i18n import N_
from ...pipeline.prepare import Prepared
from ...pipeline.transcribe import bleeped_ranges, transcribe_prepared
from ...speech.model import INSTALL_HINT
from ...speech.transcribe import check_language, language_warning
from ...speech.transcript import Transcript
from ...speech.transcript_file import read_transcript
from ...speech.withhold import CHOSEN, PATTERNS, check_patterns, parse_word_list
from .session import ClipSession


def speech_installed() -> bool:
    from ...errors import ModelError
    from ...speech.model import require_speech

    try:
        require_speech()
    except ModelError:
        return False
    return True


class TranscribingAlready(Exception):
    """A transcription of this clip is running (another tab, a double click)."""


class SpokenWords:
    """The transcript of one clip under review, read once (and made on request)."""

    def __init__(self, session: ClipSession):
        self.session = session
        self.lock = threading.Lock()  # reading the transcript
        self.making = threading.Lock()  # held while the model runs
        self.transcript: Transcript | None = None

    def current(self) -> Transcript | None:
        layout = self.session.layout
        with self.lock:
            if self.transcript is None and layout.transcript.exists():
                self.transcript = read_transcript(layout.transcript, self.session.original, self.session.seal.sha256)
            return self.transcript

    def as_json(self) -> dict:
        transcript = self.current()
        installed = speech_installed()
        base = {
            "installed": installed,
            "install_hint": None if installed else translated(INSTALL_HINT),
            "patterns": {name: translated(what) for name, what in PATTERNS.items()},
            "default_language": self.session.options.language,
        }
        if transcript is None:
            return {**base, "available": False}
        warning = language_warning(transcript)
        return {
            **base,
            "available": True,
            "model": transcript.model.get("name"),
            "languages": transcript.model.get("languages", []),
            "language": transcript.language,
            "language_heard": transcript.language_heard,
            "language_probability": transcript.language_probability,
            "language_warning": None if warning is None else translated(warning),  # in the page's language
            "words": [[w.start, w.end, w.text, round(w.probability, 3)] for w in transcript.words],
        }

    def make(self, hints: tuple[str, ...] = (), language: str | None = None) -> dict:
        """Transcribe the clip now (minutes for a long one; custody "transcribed"), unless it has
        a transcript already: that one is what the page shows. ``hints``: names from the case;
        ``language``: of the speech (de, en, auto; None: the one `redact review` was given)."""
        from ...speech.model import require_speech

        require_speech()  # before the sound is decoded
        if not self.making.acquire(blocking=False):
            raise TranscribingAlready(N_("this clip is being transcribed already: wait for it"))
        try:
            if self.current() is None:
                session = self.session
                prepared = Prepared(
                    session.layout, session.seal, session.info, session.key, session.reviewer, session.trust
                )
                options = replace(session.options, language=check_language(language or session.options.language))
                made, _ = transcribe_prepared(prepared, options, hints)
                with self.lock:
                    self.transcript = made
        finally:
            self.making.release()
        return self.as_json()

    def ranges(self, words: str = "", patterns: list[str] | tuple[str, ...] = ()) -> list[dict]:
        """Bleeped ranges, padded as a render pads them, where ``words`` (entries split by ";")
        or ``patterns`` are said; ``ValueError`` for a bad request or no transcript."""
        transcript = self.current()
        if transcript is None:
            raise ValueError(N_("this clip has no transcript yet: transcribe it first"))
        entries, chosen = parse_word_list(words), check_patterns(list(patterns))
        if not entries and not chosen:
            raise ValueError(N_("give a word or a pattern to bleep"))
        found = bleeped_ranges(transcript, entries, chosen, self.session.options.bleep_margin)
        # a word chosen here is no entry of a --bleep-words list: its reason says so
        reason = {r.reason: CHOSEN if "word list" in r.reason else r.reason for r in found}
        return [{"start": r.start, "end": r.end, "action": r.action, "reason": reason[r.reason]} for r in found]
