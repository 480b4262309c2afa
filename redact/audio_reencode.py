"""Audio that cannot be copied packet for packet: silenced ranges, or a codec MP4 cannot hold.

Audio is normally copied untouched. Two cases need it decoded and encoded again, keeping its
rate, channel layout and timestamps:

- a disclosure may need a stretch of speech removed (a name, an address): the samples inside
  those ranges are set to zero, irreversibly;
- cheap cameras and DVRs record codecs MP4 has no place for (IMA or MS ADPCM, mu-law, WMA):
  refusing such a clip, or dropping its sound, would lose evidence;
- PCM, which MP4 holds (ISO 23003-5 ``ipcm``) but common courtroom players do not play.

Integer audio up to 24 bits (what ADPCM, mu-law and PCM decode to) is stored as FLAC, which is
lossless: the derivative's audio decodes to exactly the samples the original's does, outside
any silenced range (24-bit stays 24-bit). 32-bit integer audio is stored as 24-bit FLAC (FLAC
beyond 24 bits is experimental and players refuse it), and the log says when that dropped any
bits. Audio that decodes to floating point (AAC, MP3, WMA, Opus, float PCM) has no lossless
home in FLAC, so it is stored as AAC at a generous bit rate. Gaps in the original's
timestamps stay gaps (filled with silence) and audio that overlaps earlier audio (where two
recordings were joined) is dropped, so sound keeps in sync with the picture; a change of
sample rate or layout mid-stream is converted to the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.audio.resampler import AudioResampler

FLAC_BLOCK = 4096  # samples per FLAC frame (one of FLAC's standard block sizes)
AAC_FRAME = 1024
AAC_BITS_PER_CHANNEL = 128_000  # per channel: transparent for speech and most music
SAMPLE_DTYPES = {
    "u8": np.uint8,
    "s16": np.int16,
    "s32": np.int32,
    "s64": np.int64,
    "flt": np.float32,
    "dbl": np.float64,
}
GAP_TOLERANCE_S = 0.01  # timestamp jitter below this is not a gap
MAX_GAP_S = 3600.0  # a jump beyond this is a broken clock (a wrap, a splice), not lost sound: not filled
# FFmpeg's usual order for a channel count, for sources that give only the count
DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 8: "7.1"}
# decoded sample formats FLAC holds, and the packed format handed to its encoder (32-bit
# integers hold 24-bit PCM, in their top 24 bits, which FLAC stores exactly)
LOSSLESS_FORMATS = {"u8": "s16", "u8p": "s16", "s16": "s16", "s16p": "s16", "s32": "s32", "s32p": "s32"}
FLAC_BITS = {"s16": 16, "s32": 24}  # bits per sample FLAC stores, by the format handed to it


@dataclass(frozen=True)
class AudioPlan:
    """How one audio stream reaches the derivative, as the redaction log states it."""

    index: int
    source_codec: str
    codec: str | None  # None: copied packet for packet
    reason: str  # why it was re-encoded ("" when copied)

    def describe(
        self,
        gaps_s: float = 0.0,
        undecodable: int = 0,
        overlaps_s: float = 0.0,
        overlapping_packets: int = 0,
        bits_dropped: bool = False,
    ) -> str:
        if self.codec is None:
            text = f"stream {self.index} ({self.source_codec}) copied packet for packet"
            if overlapping_packets:
                text += f", {overlapping_packets} packet(s) overlapping earlier audio (at joins) dropped"
            return text
        lossless = " (24-bit: the lowest 8 of 32 bits dropped)" if bits_dropped else ""
        lossless = lossless or (" (lossless)" if self.codec == "flac" else "")
        text = f"stream {self.index} ({self.source_codec}) re-encoded as {self.codec.upper()}{lossless}: {self.reason}"
        if undecodable:
            text += f", {undecodable} packet(s) could not be decoded"
        if gaps_s:
            text += f", {gaps_s:.3f} s of gaps in the original's audio kept as silence"
        if overlaps_s:
            text += f", {overlaps_s:.3f} s of audio overlapping earlier audio (at joins) dropped"
        return text


def reencode_codec(source_format: str) -> str:
    """FLAC when the source decodes to integers (FLAC holds up to 24 bits exactly), else AAC."""
    return "flac" if source_format in LOSSLESS_FORMATS else "aac"


def silent_frame(like: av.AudioFrame, samples: int) -> av.AudioFrame:
    """``samples`` of silence in the format, layout and rate of ``like``."""
    fmt = like.format
    dtype = SAMPLE_DTYPES[fmt.name.removesuffix("p")]
    channels = like.layout.nb_channels
    shape = (channels, samples) if fmt.is_planar else (1, samples * channels)
    frame = av.AudioFrame.from_ndarray(np.full(shape, 128 if dtype == np.uint8 else 0, dtype), fmt.name, like.layout)
    frame.sample_rate = like.sample_rate
    return frame


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


class ReencodedAudio:
    """One output stream fed with an input stream's packets, with ``ranges`` silenced."""

    def __init__(self, container: av.container.OutputContainer, source, ranges, codec: str):
        ctx = source.codec_context
        self.source = ctx
        self.ranges = tuple(ranges)
        self.rate = ctx.sample_rate
        self.codec = codec
        layout = ctx.layout.name
        if layout.endswith("channels"):  # "2 channels": count known, order not (WMA, some AVIs)
            layout = DEFAULT_LAYOUTS.get(ctx.layout.nb_channels, layout)
        self.stream = container.add_stream(codec, rate=self.rate, layout=layout)
        self.stream.time_base = Fraction(1, self.rate)
        out = self.stream.codec_context
        if codec == "flac":
            # planar in, packed out: the same integers, only interleaved
            self.format = LOSSLESS_FORMATS[ctx.format.name]
            out.format = self.format
            out.options = {"frame_size": str(FLAC_BLOCK), "bits_per_raw_sample": str(FLAC_BITS[self.format])}
            frame_size = FLAC_BLOCK
        else:
            self.format = "fltp"
            out.bit_rate = AAC_BITS_PER_CHANNEL * ctx.layout.nb_channels
            frame_size = AAC_FRAME
        self.channels, self.layout = ctx.layout.nb_channels, layout
        # two stages: ``normal`` turns whatever the decoder gives into the output's format,
        # layout and rate, and is replaced when that changes mid-stream (a spliced recording);
        # ``resampler`` only cuts that steady stream into the encoder's frame size
        self.normal: AudioResampler | None = None
        self.normal_input: tuple | None = None
        self.resampler = AudioResampler(format=self.format, layout=layout, rate=self.rate, frame_size=frame_size)
        self.next_sample: int | None = None  # output position of the next encoded sample
        self.decoded_until: int | None = None  # input position just after the last decoded sample
        self.gap_samples = 0  # silence put where the original's audio has no samples
        self.overlap_samples = 0  # samples dropped where the original's audio overlaps itself
        self.undecodable = 0  # packets the decoder refused (their time becomes a gap)
        # 32-bit samples with any of their lowest 8 bits set, which 24-bit FLAC drops (24-bit
        # PCM decodes to 32-bit samples whose lowest 8 bits are 0: stored exactly)
        self.bits_dropped = False

    def _encode(self, frames) -> list:
        packets = []
        for frame in frames:
            samples = frame.to_ndarray()
            count = frame.samples
            if self.ranges:
                samples = self._silence(samples)
            if self.format == "s32" and not self.bits_dropped:
                self.bits_dropped = bool((samples & 0xFF).any())
            out = av.AudioFrame.from_ndarray(samples, format=self.format, layout=self.layout)
            out.sample_rate = self.rate
            out.pts = self.next_sample
            self.next_sample += count
            packets += self.stream.encode(out)
        return packets

    def _silence(self, samples: np.ndarray) -> np.ndarray:
        """Zero the samples inside the ranges; packed formats interleave channels along one row."""
        planar = samples.shape[0] == self.channels and self.format.endswith("p")
        if planar or self.channels == 1:
            return silence_samples(samples, self.next_sample, self.rate, self.ranges)
        frames = samples.reshape(-1, self.channels).T  # channels x n
        return silence_samples(frames, self.next_sample, self.rate, self.ranges).T.reshape(1, -1)

    def packets_for(self, packet: av.Packet) -> list:
        """Encoded packets for one input packet (possibly none while the encoder buffers)."""
        try:
            decoded = packet.decode()
        except av.FFmpegError:  # a damaged packet: its time is filled with silence, as a gap
            self.undecodable += 1
            return []
        return self._encode(self._resampled(decoded))

    def flush(self) -> list:
        """The rest: what the decoder, the resampler and the encoder still hold."""
        try:
            decoded = self.source.decode(None)
        except av.FFmpegError:
            decoded = []
        return self._encode([*self._resampled(decoded), *self._drain()]) + list(self.stream.encode(None))

    def _resampled(self, decoded_frames) -> list:
        """Resampled frames, with silence where the original's timestamps jump ahead.

        Samples are written back to back from the stream's first timestamp, so a gap in the
        original (dropped audio, a damaged packet) would pull everything after it early, out
        of sync with the picture; filling it keeps every sample at its original time.
        """
        frames = []
        for decoded in decoded_frames:
            at = round(float(decoded.pts * decoded.time_base) * self.rate) if decoded.pts is not None else None
            if self.decoded_until is None:  # the stream's start time, in samples
                self.decoded_until = self.next_sample = at or 0
            elif at is not None and GAP_TOLERANCE_S * self.rate < at - self.decoded_until <= MAX_GAP_S * self.rate:
                gap = at - self.decoded_until
                second = decoded.sample_rate  # the silence is made like the frame, at its rate
                missing = round(gap * second / self.rate)
                for start in range(0, missing, second):  # a second at a time: memory stays flat
                    frames += self._steady(silent_frame(decoded, min(second, missing - start)))
                self.gap_samples += gap
                self.decoded_until = at
            elif at is not None and GAP_TOLERANCE_S * self.rate < self.decoded_until - at <= MAX_GAP_S * self.rate:
                # it starts before the audio so far ends (two recordings joined): the overlap
                # is dropped, or everything after the join would play late
                decoded = self._after(decoded, self.decoded_until - at)
                if decoded is None:
                    continue
            self.decoded_until += round(decoded.samples * self.rate / decoded.sample_rate)
            frames += self._steady(decoded)
        return frames

    def _after(self, frame: av.AudioFrame, skip: int) -> av.AudioFrame | None:
        """``frame`` without its first ``skip`` samples (counted at the output rate)."""
        skip = min(frame.samples, round(skip * frame.sample_rate / self.rate))
        self.overlap_samples += round(skip * self.rate / frame.sample_rate)
        if skip == frame.samples:
            return None
        samples = frame.to_ndarray()
        channels = frame.layout.nb_channels
        kept = samples[:, skip:] if frame.format.is_planar else samples[:, skip * channels :]
        out = av.AudioFrame.from_ndarray(np.ascontiguousarray(kept), format=frame.format.name, layout=frame.layout)
        out.sample_rate = frame.sample_rate
        return out

    def _steady(self, frame: av.AudioFrame) -> list:
        """``frame`` in the output's format, layout and rate, cut to the encoder's frame size."""
        setup = (frame.format.name, frame.layout.name, frame.sample_rate)
        converted = []
        if setup != self.normal_input:
            if self.normal is not None:
                converted += self.normal.resample(None)  # what the old conversion still holds
            self.normal = AudioResampler(format=self.format, layout=self.layout, rate=self.rate)
            self.normal_input = setup
        converted += self.normal.resample(frame)
        return [out for part in converted for out in self.resampler.resample(part)]

    def _drain(self) -> list:
        tail = self.normal.resample(None) if self.normal is not None else []
        return [out for part in tail for out in self.resampler.resample(part)] + self.resampler.resample(None)
