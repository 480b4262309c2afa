"""Output side: write the derivative with libx264 and copy audio packets untouched.

Audio MP4 cannot hold or players do not play in MP4 (PCM), or with ranges to silence or bleep, is
encoded again (``audio_reencode.py``). The original's start timecode and its streams'
languages (and generic labels) carry over; other streams are left out (``media.stream_facts``).

Frames keep their source timestamps (same time base, same pts), so frame count, timing,
variable frame rate and duration carry over; the source's display matrix (rotation), colour
description and field order (interlaced video stays interlaced) are written to the new stream.
"""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import EncodeError
from ..i18n import N_
from ..options import EncodeOptions
from .audio_reencode import AudioPlan, ReencodedAudio, describe_ranges, range_actions, reencode_codec
from .decode import VideoInfo

DEFAULT_RATE = Fraction(30, 1)


class DerivativeWriter:
    """An open MP4 being written. Use as a context manager; ``finish()`` flushes it."""

    def __init__(
        self,
        path: Path,
        info: VideoInfo,
        audio_streams: list,
        options: EncodeOptions,
        audio_ranges: tuple = (),  # (start_s, end_s, "mute" | "bleep"), seconds from the clip's start as players count
    ):
        ranges = range_actions(audio_ranges)  # a bare (start_s, end_s) is muted; an unknown action refused here
        self.path = path
        self.info = info
        self.width, self.height = info.padded_size
        self.time_base = info.time_base
        try:
            self.container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
            self.video = self.container.add_stream("libx264", rate=info.rate or DEFAULT_RATE)
        except av.FFmpegError as exc:
            raise EncodeError(N_("cannot create output ({error})"), path, error=exc) from exc
        cc = self.video.codec_context
        cc.width, cc.height = self.width, self.height
        cc.pix_fmt = "yuv420p"
        cc.time_base = self.time_base
        self.video.time_base = self.time_base
        cc.options = {"crf": str(options.crf), "preset": options.preset, "threads": str(options.threads)}
        if info.interlaced:  # keep the two fields apart, in their order, so players deinterlace as before
            cc.options = {**cc.options, "flags": "+ildct+ilme", "x264-params": f"interlaced=1:{info.interlaced}=1"}
        for key, value in info.color.items():
            setattr(cc, key, value)
        if info.display_matrix is not None:
            self.video.set_display_matrix(list(info.display_matrix))
        # the start timecode (the MP4 muxer writes it as a tmcd track), language and labels
        self._tag(self.video, {**info.tags.get("video", {}), **({"timecode": info.timecode} if info.timecode else {})})
        self.audio_map = {}
        self.last_dts: dict[int, int] = {}  # copied streams: the last decode timestamp written
        self.overlapping: dict[int, int] = {}  # copied streams: packets dropped as overlapping
        self.reencoded: dict[int, ReencodedAudio] = {}
        self.audio_plans: list[AudioPlan] = []
        for stream in audio_streams:
            self.audio_plans.append(self._add_audio(stream, ranges))

        self.frames = 0

    def _add_audio(self, stream, ranges: tuple[tuple[float, float, str], ...]) -> AudioPlan:
        """Copy ``stream`` when MP4 holds its codec and nothing is silenced or bleeped; else encode it again."""
        ctx = stream.codec_context
        name = ctx.name
        if ranges:
            reason = describe_ranges(ranges)
        elif name not in self.container.supported_codecs:
            reason = N_("MP4 cannot hold {codec}", codec=name)
        elif name.startswith("pcm_"):  # MP4 holds it (ISO 23003-5), but courtroom players do not play that
            reason = N_("common players do not play {codec} in MP4", codec=name)
        else:
            reason = ""
        tags = self.info.tags.get(str(stream.index), {})
        try:
            if not reason:
                self.audio_map[stream.index] = self.container.add_stream_from_template(stream)
                self._tag(self.audio_map[stream.index], tags)
                return AudioPlan(stream.index, name, None, "")
            codec = reencode_codec(ctx.format.name if ctx.format else "")
            on_clock = tuple((a + self.info.start_s, b + self.info.start_s, act) for a, b, act in ranges)
            self.reencoded[stream.index] = ReencodedAudio(self.container, stream, on_clock, codec)
            self._tag(self.reencoded[stream.index].stream, tags)
            return AudioPlan(stream.index, name, codec, reason)
        except (av.FFmpegError, ValueError) as exc:
            raise EncodeError(
                N_("audio stream {index} ({name}) can be neither copied nor re-encoded into MP4 ({error})"),
                self.path,
                hint=N_("use --mute to leave audio out"),
                index=stream.index,
                name=name,
                error=exc,
            ) from exc

    @staticmethod
    def _tag(stream, tags: dict) -> None:
        """Write ``tags`` (already judged harmless by ``media.carried_tags``) onto an output stream."""
        for key, value in tags.items():
            stream.metadata[key] = value

    @property
    def audio_as_is(self) -> bool:
        """Every audio stream copied packet for packet, none dropped (or there is no audio)."""
        return all(plan.codec is None for plan in self.audio_plans) and not self.overlapping

    def audio_notes(self) -> list[str]:
        """What became of each audio stream, for the redaction log (after ``finish``)."""
        notes = []
        for plan in self.audio_plans:
            reencoded = self.reencoded.get(plan.index)
            if reencoded is None:
                notes.append(plan.describe(overlapping_packets=self.overlapping.get(plan.index, 0)))
            else:
                gaps_s, overlaps_s = (n / reencoded.rate for n in (reencoded.gap_samples, reencoded.overlap_samples))
                notes.append(
                    plan.describe(gaps_s, reencoded.undecodable, overlaps_s, bits_dropped=reencoded.bits_dropped)
                )
        return notes

    def write_i420(self, buf: np.ndarray, pts: int, duration: int | None) -> None:
        if buf.shape != (self.height * 3 // 2, self.width):  # libx264 would take it without a word
            raise EncodeError(
                N_("frame buffer {shape} is not I420 at {width}x{height}"),
                self.path,
                shape=buf.shape,
                width=self.width,
                height=self.height,
            )
        self._encode(av.VideoFrame.from_ndarray(buf, format="yuv420p"), pts, duration)

    def write_frame(self, frame: av.VideoFrame, pts: int, duration: int | None) -> None:
        """Encode a decoded yuv420p frame of the output's size as it is (masked in place by the
        caller): no copy in or out of numpy. Its picture type is cleared, since x264 takes a
        decoded I-frame's type as an order to start a new group of pictures there."""
        if frame.format.name != "yuv420p" or (frame.width, frame.height) != (self.width, self.height):
            raise EncodeError(
                N_("frame {format} {width}x{height} is not the output's"),
                self.path,
                format=frame.format.name,
                width=frame.width,
                height=frame.height,
            )
        frame.pict_type = av.video.frame.PictureType.NONE
        self._encode(frame, pts, duration)

    def _encode(self, frame: av.VideoFrame, pts: int, duration: int | None) -> None:
        frame.pts = pts
        frame.time_base = self.time_base
        if duration:
            frame.duration = duration
        frame.color_range = self.info.color.get("color_range", 0)
        self._mux(self.video.encode(frame))
        self.frames += 1

    def write_audio(self, packet: av.Packet) -> None:
        if packet.stream.index in self.reencoded:
            self._mux(self.reencoded[packet.stream.index].packets_for(packet))
            return
        index = packet.stream.index
        out = self.audio_map.get(index)
        if out is None:
            return
        last = self.last_dts.get(index)
        if packet.dts is not None and last is not None and packet.dts <= last:
            # it starts before the stream's earlier audio has (recordings joined end to end):
            # MP4 cannot hold time running backwards, and keeping it would push what follows late
            self.overlapping[index] = self.overlapping.get(index, 0) + 1
            return
        if packet.dts is not None:
            self.last_dts[index] = packet.dts
        packet.stream = out
        self._mux([packet])

    def _mux(self, packets) -> None:
        try:
            self.container.mux(packets)
        except av.FFmpegError as exc:
            raise EncodeError(N_("muxing failed ({error})"), self.path, error=exc) from exc

    def finish(self) -> None:
        self._mux(self.video.encode(None))
        for reencoded in self.reencoded.values():
            self._mux(reencoded.flush())
        self.container.close()

    def abort(self) -> None:
        try:
            self.container.close()
        except av.FFmpegError:
            pass
        close_left_open(self.path)


def close_left_open(path: Path) -> None:
    """Close what this process still has open on ``path``: PyAV (18) never closes the output
    when writing its header failed (a disk already full at the first packet), and the file's
    space and descriptor stay taken, after its name is removed, until the process ends."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return
    target = os.path.realpath(path)
    for fd in list(fds.iterdir()):
        with contextlib.suppress(OSError, ValueError):
            if os.readlink(fd) == target:
                os.close(int(fd.name))
