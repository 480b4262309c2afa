"""Audio that cannot be copied packet for packet: silenced ranges, or a codec MP4 cannot hold.

Audio is normally copied untouched. Two cases need it decoded and encoded again, keeping its
rate, channel layout and timestamps:

- a disclosure may need a stretch of speech removed (a name, an address): the samples inside
  those ranges are replaced, irreversibly, by silence ("mute") or by a 1 kHz tone at -12 dBFS
  on every channel ("bleep", as courts expect), phase-continuous through the range and faded
  in and out over 5 ms so it does not click;
- cheap cameras and DVRs record codecs MP4 has no place for (IMA or MS ADPCM, mu-law, WMA):
  refusing such a clip, or dropping its sound, would lose evidence;
- PCM, which MP4 holds (ISO 23003-5 ``ipcm``) but common courtroom players do not play.

Integer audio up to 24 bits (what ADPCM, mu-law and PCM decode to) is stored as FLAC, which is
lossless: the derivative's audio decodes to exactly the samples the original's does, outside
any silenced or bleeped range (24-bit stays 24-bit). 32-bit integer audio is stored as 24-bit FLAC (FLAC
beyond 24 bits is experimental and players refuse it), and the log says when that dropped any
bits. Audio that decodes to floating point (AAC, MP3, WMA, Opus, float PCM) has no lossless
home in FLAC, so it is stored as AAC at a generous bit rate. Gaps in the original's
timestamps stay gaps (filled with silence) and audio that overlaps earlier audio (where two
recordings were joined) is dropped, so sound keeps in sync with the picture; a change of
sample rate or layout mid-stream is converted to the first one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.audio.resampler import AudioResampler

from ..i18n import N_, Listed

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
# what can replace the audio in a range, and how the log says it was done
RANGE_ACTIONS = {"mute": N_("silenced"), "bleep": N_("bleeped (1 kHz tone)")}
BLEEP_HZ = 1000.0
BLEEP_LEVEL = 0.25  # peak, of full scale: -12 dBFS
BLEEP_FADE_S = 0.005  # fade in and out over this, so the tone starts and stops without a click
FULL_SCALE = {"s16": 2**15, "s32": 2**23}  # peak of the integers handed to FLAC (s32 holds 24 bits, << 8)


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
    ) -> Listed:
        if self.codec is None:
            said = [N_("stream {index} ({codec}) copied packet for packet", index=self.index, codec=self.source_codec)]
            if overlapping_packets:
                dropped = N_("{n} packet(s) overlapping earlier audio (at joins) dropped", n=overlapping_packets)
                said.append(dropped)
            return Listed(said, ", ")
        if bits_dropped:
            lossless = N_(" (24-bit: the lowest 8 of 32 bits dropped)")
        else:
            lossless = N_(" (lossless)") if self.codec == "flac" else ""
        said = [
            N_(
                "stream {index} ({codec}) re-encoded as {target}{lossless}: {reason}",
                index=self.index,
                codec=self.source_codec,
                target=self.codec.upper(),
                lossless=lossless,
                reason=self.reason,
            )
        ]
        if undecodable:
            said.append(N_("{n} packet(s) could not be decoded", n=undecodable))
        if gaps_s:
            said.append(N_("{seconds:.3f} s of gaps in the original's audio kept as silence", seconds=gaps_s))
        if overlaps_s:
            said.append(N_("{seconds:.3f} s of audio overlapping earlier audio (at joins) dropped", seconds=overlaps_s))
        return Listed(said, ", ")


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


def range_actions(ranges, action: str = "mute") -> tuple[tuple[float, float, str], ...]:
    """``(start_s, end_s, action)`` for each range; a bare ``(start_s, end_s)`` gets ``action``."""
    out = []
    for item in ranges:
        start, end, act = (*item, action) if len(item) == 2 else item
        if act not in RANGE_ACTIONS:
            raise ValueError(f"unknown audio redaction {act!r}; choose one of {', '.join(RANGE_ACTIONS)}")
        out.append((float(start), float(end), act))
    return tuple(out)


def describe_ranges(ranges) -> Listed:
    """``"0.5-1 s, 2-3 s silenced, 4-5 s bleeped (1 kHz tone)"``: each range and what replaced it."""
    parts: list[tuple[str, list[str]]] = []
    for start, end, action in range_actions(ranges):
        if not parts or parts[-1][0] != action:
            parts.append((action, []))
        parts[-1][1].append(f"{start:g}-{end:g} s")
    return Listed(
        [N_("{times} {action}", times=", ".join(times), action=RANGE_ACTIONS[action]) for action, times in parts], ", "
    )


def first_sample_at(t: float, rate: int) -> int:
    """The first sample index ``n`` whose time ``n / rate`` is at or after ``t``."""
    n = math.ceil(t * rate)
    while n / rate < t:
        n += 1
    while n > 0 and (n - 1) / rate >= t:
        n -= 1
    return max(n, 0)


def sample_spans(ranges, rate: int) -> tuple[tuple[int, int, str], ...]:
    """Ranges in seconds as ``[first, end)`` sample indices, overlapping ones of one action merged.

    A span holds exactly the samples whose time falls inside its range (start included, end
    not). Bleeps come first and silences last, so where the two overlap, silence wins.
    """
    spans = []
    for action in ("bleep", "mute"):  # the order they are applied in
        merged: list[list[int]] = []
        for start, end, act in sorted(range_actions(ranges)):
            if act != action:
                continue
            first, last = first_sample_at(start, rate), first_sample_at(end, rate)
            if first >= last:
                continue
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        spans += [(a, b, action) for a, b in merged]
    return tuple(spans)


def bleep_tone(k: np.ndarray, length: int, rate: int) -> np.ndarray:
    """The tone at sample ``k`` of a ``length``-sample bleep: -1..1 of ``BLEEP_LEVEL``, faded at both ends."""
    fade = max(1, round(BLEEP_FADE_S * rate))
    edge = np.minimum(k, length - 1 - k) / fade
    envelope = np.sin(np.pi / 2 * np.clip(edge, 0.0, 1.0)) ** 2
    return BLEEP_LEVEL * envelope * np.sin(2 * np.pi * BLEEP_HZ * k / rate)


def redact_samples(samples: np.ndarray, first_sample: int, rate: int, spans, fmt: str) -> np.ndarray:
    """Samples (channels x n, planar) with each span's part silenced or bleeped, on every channel.

    ``fmt`` is the format handed to the encoder (``s16``, ``s32`` or ``fltp``). The tone's phase
    counts from the span's first sample, so it runs on unbroken from one frame into the next.
    """
    n = samples.shape[-1]
    hit = [(a, b, act) for a, b, act in spans if a < first_sample + n and b > first_sample]
    if not hit:
        return samples
    samples = samples.copy()
    for a, b, action in hit:
        lo, hi = max(a, first_sample) - first_sample, min(b, first_sample + n) - first_sample
        if action == "mute":
            samples[..., lo:hi] = 0
            continue
        tone = bleep_tone(np.arange(lo, hi) + first_sample - a, b - a, rate)
        scale = FULL_SCALE.get(fmt.removesuffix("p"))
        if scale is None:
            samples[..., lo:hi] = tone.astype(samples.dtype)
        else:
            ints = np.round(tone * scale).astype(np.int64)
            samples[..., lo:hi] = (ints << 8 if scale == 2**23 else ints).astype(samples.dtype)
    return samples


class ReencodedAudio:
    """One output stream fed with an input stream's packets, with ``ranges`` silenced or bleeped.

    ``ranges``: ``(start_s, end_s, action)`` on the file's clock, action ``"mute"`` or
    ``"bleep"`` (a bare ``(start_s, end_s)`` is muted).
    """

    def __init__(self, container: av.container.OutputContainer, source, ranges, codec: str):
        ctx = source.codec_context
        self.source = ctx
        self.ranges = range_actions(ranges)
        self.rate = ctx.sample_rate
        self.spans = sample_spans(self.ranges, self.rate)
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
            if self.spans:
                samples = self._redact(samples)
            if self.format == "s32" and not self.bits_dropped:
                self.bits_dropped = bool((samples & 0xFF).any())
            out = av.AudioFrame.from_ndarray(samples, format=self.format, layout=self.layout)
            out.sample_rate = self.rate
            out.pts = self.next_sample
            self.next_sample += count
            packets += self.stream.encode(out)
        return packets

    def _redact(self, samples: np.ndarray) -> np.ndarray:
        """Silence or bleep the samples in the spans; packed formats interleave channels along one row."""
        planar = samples.shape[0] == self.channels and self.format.endswith("p")
        if planar or self.channels == 1:
            return redact_samples(samples, self.next_sample, self.rate, self.spans, self.format)
        frames = samples.reshape(-1, self.channels).T  # channels x n
        done = redact_samples(frames, self.next_sample, self.rate, self.spans, self.format)
        return done.T.reshape(1, -1)

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
