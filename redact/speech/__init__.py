"""Spoken names and numbers: an offline transcript, and the ranges where withheld words are said.

``model`` finds the pinned Whisper model (the ``redact[speech]`` extra), ``audio`` decodes
the clip's sound for it, ``transcribe`` runs it, ``transcript_file`` keeps the transcript
beside the original (signed, read-only, in the custody log: it holds personal data and is
written nowhere else), and ``withhold`` turns words and patterns into bleeped ranges.
"""
