"""Silence chosen time ranges of an audio stream (re-encoded as AAC); the rest stays as is.

Audio is normally copied packet for packet. A disclosure may need a stretch of speech
removed (a name, an address): those streams are decoded, the samples inside the ranges are
set to zero (irreversibly: nothing of the speech is left to recover), and the stream is
encoded again as AAC at its own rate and channel layout, keeping its timestamps.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
from av.audio.resampler import AudioResampler

AAC_FRAME = 1024


def silence_samples(samples: np.ndarray, first_sample: int, rate: int, ranges) -> np.ndarray:
    """Zero the samples (channels x n, planar) that fall inside any (start_s, end_s) range."""
    n = samples.shape[-1]
    times = (first_sample + np.arange(n)) / rate
    inside = np.zeros(n, bool)
    for start, end in ranges:
        inside |= (times >= start) & (times < end)
    if inside.any():
        samples = samples.copy()
        samples[..., inside] = 0
    return samples


class SilencedAudio:
    """One output AAC stream fed with an input stream's packets, with ``ranges`` silenced."""

    def __init__(self, container: av.container.OutputContainer, source, ranges):
        ctx = source.codec_context
        self.ranges = tuple(ranges)
        self.rate = ctx.sample_rate
        self.stream = container.add_stream("aac", rate=self.rate, layout=ctx.layout.name)
        self.stream.time_base = Fraction(1, self.rate)
        self.format = "fltp"
        self.resampler = AudioResampler(
            format=self.format, layout=ctx.layout.name, rate=self.rate, frame_size=AAC_FRAME
        )
        self.next_sample: int | None = None

    def _encode(self, frames) -> list:
        packets = []
        for frame in frames:
            self.next_sample = self.next_sample or 0
            samples = silence_samples(frame.to_ndarray(), self.next_sample, self.rate, self.ranges)
            out = av.AudioFrame.from_ndarray(samples, format=self.format, layout=frame.layout.name)
            out.sample_rate = self.rate
            out.pts = self.next_sample
            self.next_sample += samples.shape[-1]
            packets += self.stream.encode(out)
        return packets

    def packets_for(self, packet: av.Packet) -> list:
        """Encoded packets for one input packet (possibly none while the encoder buffers)."""
        frames = []
        for decoded in packet.decode():
            if self.next_sample is None:  # the stream's start time, in samples
                start = decoded.pts * decoded.time_base if decoded.pts is not None else 0
                self.next_sample = round(float(start) * self.rate)
            frames += self.resampler.resample(decoded)
        return self._encode(frames)

    def flush(self) -> list:
        return self._encode(self.resampler.resample(None)) + list(self.stream.encode(None))
