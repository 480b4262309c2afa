"""The clip's sound for the page: a waveform to mark ranges on and a WAV to listen to.

Decoded with PyAV and resampled to 16 kHz mono 16-bit: enough to hear a name, and a tenth of
the original's size. Kept in memory (a WAV of 10 minutes is 19 MB), never written to disk: a
copy of the evidence's sound must not linger in a temporary folder. Sample 0 is the clip's
time 0 (the first timestamp a player counts from), so ranges line up with the pictures as the
render lines them up; the page plays it with the decisions' ranges muted or bleeped, as the
render will, unless the unredacted original is switched on.
"""

from __future__ import annotations

import io
import itertools
import wave
from pathlib import Path

import av
import numpy as np

from ...media.audio_reencode import redact_samples, sample_spans

RATE = 16000


def decode_mono(path: Path, start_s: float = 0.0, rate: int = RATE) -> np.ndarray:
    """The first audio stream as int16 mono samples at ``rate`` from the clip's time 0
    (``start_s`` on the file's clock): silence before the sound starts, none cut after."""
    chunks = []
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return np.zeros(0, np.int16)
        stream = container.streams.audio[0]
        first = None
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        for frame in container.decode(stream):
            if first is None and frame.pts is not None and frame.time_base is not None:
                first = float(frame.pts * frame.time_base)
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    offset = round(((first if first is not None else start_s) - start_s) * rate)
    if offset > 0:
        return np.concatenate([np.zeros(offset, np.int16), samples])
    return samples[-offset:]


def redacted(samples: np.ndarray, ranges, rate: int = RATE) -> np.ndarray:
    """``samples`` with the decisions' ranges (``(start_s, end_s, action)``, clip time) silenced or
    bleeped, by the render's own code: what the derivative will sound like."""
    spans = sample_spans(ranges, rate)
    if not spans:
        return samples
    return redact_samples(samples.reshape(1, -1), 0, rate, spans, "s16").reshape(-1)


def peaks(samples: np.ndarray, bins: int) -> list[float]:
    """The loudest sample of each of ``bins`` equal spans, 0..1."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if not len(samples):
        return [0.0] * bins
    edges = np.linspace(0, len(samples), bins + 1).astype(int)
    loud = np.abs(samples.astype(np.int32))
    return [round(float(loud[a:b].max()) / 32768, 4) if b > a else 0.0 for a, b in itertools.pairwise(edges)]


def wav_bytes(samples: np.ndarray, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()
