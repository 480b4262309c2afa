"""The clip's sound as the speech model hears it: 16 kHz mono float samples, on the clip's clock.

Only the first audio stream is transcribed (a body-worn camera records one); the ranges
bleeped from it apply to every audio stream. Times count from the start of the clip as a
player shows it (the container's start), as ``--mute-ranges`` and the review page count
them. Damaged packets are skipped; a gap in the timestamps stays a gap (silence) and audio
overlapping earlier audio is dropped, so a word's time is where it is heard.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.audio.resampler import AudioResampler

from ..media.decode import open_input

RATE = 16_000  # what Whisper takes
GAP_S = 0.05  # timestamp jitter below this is not a gap
MAX_GAP_S = 3600.0  # a jump beyond this is a broken clock, not lost sound: not filled


@dataclass(frozen=True)
class SpeechAudio:
    samples: np.ndarray  # float32, mono, RATE Hz
    offset_s: float  # where the first sample is heard, in seconds from the start of the clip
    stream: int  # index of the audio stream in the file
    damaged_packets: int = 0  # skipped: their sound is in no transcript
    stopped_early: str | None = None  # why decoding ended before the stream did, if it did
    other_streams: int = 0  # audio streams not transcribed (their sound is bleeped by the same ranges)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / RATE


def speech_audio(path: Path) -> SpeechAudio | None:
    """The first audio stream of ``path``, decoded and resampled; None when it has no sound.
    A change of rate or layout midway (spliced recordings) is resampled like the rest."""
    with contextlib.closing(open_input(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        index, others = stream.index, len(container.streams.audio) - 1
        clip_start = float(container.start_time / av.time_base) if container.start_time else 0.0
        placed = Placed()
        resampler, made_for = None, None
        damaged, stopped = 0, None
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.InvalidDataError:
                    damaged += 1  # a damaged packet: its sound is lost, the rest is kept
                    continue
                for frame in frames:
                    setup = (frame.format.name, frame.layout.name, frame.sample_rate)
                    if setup != made_for:  # PyAV's resampler takes one input format only
                        for out in resampler.resample(None) if resampler else ():
                            placed.add(out)
                        resampler, made_for = AudioResampler(format="flt", layout="mono", rate=RATE), setup
                    for out in resampler.resample(frame):
                        placed.add(out)
            for out in resampler.resample(None) if resampler else ():
                placed.add(out)
        except av.FFmpegError as exc:  # a truncated or damaged file: its sound up to there
            stopped = f"{type(exc).__name__}: {exc}"
    samples = np.concatenate(placed.chunks) if placed.chunks else np.zeros(0, np.float32)
    first = placed.first if placed.first is not None else clip_start
    return SpeechAudio(samples, first - clip_start, index, damaged, stopped, others)


class Placed:
    """Samples laid out where their timestamps put them: silence for a gap, an overlap dropped,
    and a jump beyond ``MAX_GAP_S`` either way (a broken clock) taken as no jump at all, as the
    derivative's audio takes it."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.first: float | None = None
        self.heard = 0  # samples kept so far

    def add(self, frame: av.AudioFrame) -> None:
        samples = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        at = frame.time
        if self.first is None:
            self.first = at if at is not None else 0.0
        if at is not None:
            late = at - (self.first + self.heard / RATE)
            if abs(late) >= MAX_GAP_S:
                self.first = at - self.heard / RATE  # a broken clock: carry on from here
            elif late > GAP_S:
                gap = round(late * RATE)
                self.chunks.append(np.zeros(gap, np.float32))
                self.heard += gap
            elif late < -GAP_S:
                samples = samples[min(len(samples), round(-late * RATE)) :]
        self.chunks.append(samples)
        self.heard += len(samples)
