"""Input side of the pipeline: open and validate a file with PyAV, probe it, decode it.

PyAV's errors are wrapped here, where they enter, into ``BadInputError`` with one clear
sentence. Frames leave this module as I420 buffers (even-sized, edge-padded when the source
has odd dimensions) so the masker never sees codec details.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import BadInputError
from ..i18n import N_, as_record

logging.getLogger("libav").setLevel(logging.CRITICAL)

STILL_IMAGE_FORMATS = {"image2", "image2pipe", "apng", "webp", "ico"}
DIRECT_FORMATS = {"yuv420p", "yuvj420p"}  # decoded buffers used as they are (no conversion)
MAX_DAMAGE_LISTED = 100  # damaged packets whose times the log lists (all are counted)
MAX_DAMAGED_AT_START = 300  # damaged packets before the first good frame, past which it is not a video


@dataclass(frozen=True)
class VideoInfo:
    """What the pipeline needs to know about the input's first video stream."""

    width: int
    height: int
    pix_fmt: str
    codec: str
    time_base: Fraction
    rate: Fraction | None
    frames: int  # container's count; 0 when unknown
    duration_s: float | None
    audio_streams: int
    other_streams: int
    display_matrix: tuple[int, ...] | None
    rotation: int  # counter-clockwise degrees of the display matrix (0, 90, 180, 270)
    container_format: str
    color: dict = field(default_factory=dict)
    # the file's first timestamp (s): players count from here, so times people give (muted
    # ranges) and times reports show are relative to it; MPEG-TS and PS rarely start at 0
    start_s: float = 0.0
    interlaced: str | None = None  # "tff" or "bff" (which field comes first); None: progressive
    # the original's start timecode (hh:mm:ss:ff), carried into the derivative's tmcd track
    timecode: str | None = None
    # "video" and audio stream indices (as strings): the language, title and handler tags that carry over
    tags: dict = field(default_factory=dict)
    # streams the derivative leaves out: {index, type, codec, language, why}
    dropped_streams: tuple[dict, ...] = ()
    labels_withheld: tuple[str, ...] = ()  # titles/handler names left out as free text ("stream 1 title")

    @property
    def padded_size(self) -> tuple[int, int]:
        """Frame size after padding odd dimensions to even (H.264 4:2:0 needs even sizes)."""
        return self.width + self.width % 2, self.height + self.height % 2


@dataclass
class DecodeReport:
    """How decoding ended: cleanly, or early with the reason and the last good frame."""

    frames: int = 0
    stopped_early: bool = False
    reason: str | None = None
    last_pts_s: float | None = None
    video_end: int | None = None  # end of the last video packet (pts + duration), stream time base
    damaged_packets: int = 0  # video packets the decoder refused and that were skipped
    damaged_at_s: list[float] = field(default_factory=list)  # where (the first MAX_DAMAGE_LISTED)
    damage: str | None = None  # the decoder's last complaint
    # frames the container's index lists that hold no picture (a camera's skipped frames, stored
    # as empty chunks in AVI), in a file read to its end: not a truncation
    listed_without_picture: int = 0


def check_path(path: Path) -> None:
    if not path.exists():
        raise BadInputError(N_("file not found"), path)
    if path.is_dir():
        raise BadInputError(N_("is a directory, not a video file"), path, hint=N_("use `redact batch` for folders"))
    if not path.is_file():
        raise BadInputError(N_("is not a regular file"), path)
    if path.stat().st_size == 0:
        raise BadInputError(N_("file is empty (0 bytes)"), path)


def open_input(path: Path) -> av.container.InputContainer:
    """Open ``path`` read-only with PyAV, or raise ``BadInputError`` saying why not."""
    check_path(path)
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        raise BadInputError(N_("not a video file FFmpeg can read ({kind})"), path, kind=type(exc).__name__) from exc
    except OSError as exc:
        raise BadInputError(N_("cannot open ({reason})"), path, reason=exc.strerror or exc) from exc
    try:
        fmt = container.format.name
        if fmt in STILL_IMAGE_FORMATS or fmt.endswith("_pipe"):
            raise BadInputError(N_("is a still image, not a video"), path, hint=N_("use `redact detect` for images"))
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams}))
            if not kinds:
                raise BadInputError(N_("has no video stream (found no streams)"), path)
            raise BadInputError(N_("has no video stream (found {kinds} streams)"), path, kinds=kinds)
    except BadInputError:
        container.close()
        raise
    return container


def read_display_matrix(frame: av.VideoFrame) -> tuple[int, ...] | None:
    for data in frame.side_data:
        if data.type == av.sidedata.sidedata.Type.DISPLAYMATRIX:
            return tuple(int(x) for x in np.frombuffer(bytes(data), np.int32))
    return None


def field_order(interlaced_frame: bool, codec_field_order: int) -> str | None:
    """ "tff", "bff" or None (progressive), from the first frame's flag and the stream's field
    order (FFmpeg's AVFieldOrder: 2 and 4 top field first, 3 and 5 bottom field first)."""
    if codec_field_order in (3, 5):
        return "bff"
    if interlaced_frame or codec_field_order in (2, 4):
        return "tff"  # the usual order when a stream does not say
    return None


# Words of the labels devices and muxers give streams ("SoundHandler", "Core Media Video", "Mic 1"):
# a title or handler name made only of these (and numbers) names no one, so it is carried; any
# other is free text that might ("Interview J. Smith") and is left out
LABEL_WORDS = set(
    "video audio sound data text subtitle timecode handler videohandler soundhandler datahandler media core track"
    " stream main primary secondary default stereo mono left right center centre surround channel channels ch mic"
    " microphone internal external camera cam front rear back inside outside cabin body bodycam dash dashcam in out"
    " gopro ambarella apple mainconcept eti iso gpac bento4 lavf ffmpeg avc hevc h264 h265 aac pcm flac alias"
    " l r lr".split()
)
LABEL_KEYS = {"handler_name": "handler_name", "title": "title", "name": "title"}  # MOV/MP4 read titles as "name"
WHY_DROPPED = {
    "video": N_("only the first video stream is redacted: carried, it would show what the redaction hides"),
    "subtitle": N_("not redacted: subtitles may hold personal data (a name, an address)"),
    "data": N_("not redacted: data streams may hold personal data (GPS positions, device logs)"),
    "attachment": N_("not redacted: attachments may hold personal data (pictures, documents)"),
}
TIMECODE = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{1,3})")


def tag(metadata, key: str) -> str | None:
    """``key`` from a stream's or container's tags, in any case (Matroska writes TIMECODE)."""
    for name, value in dict(metadata).items():
        if name.lower() == key and value:
            return str(value)
    return None


def check_timecode(text: str, rate: Fraction | None) -> tuple[str | None, str]:
    """(the timecode as the MP4 muxer writes it, "") or (None, why it cannot be carried)."""
    match = TIMECODE.fullmatch(text.strip())
    if not match:
        return None, N_("timecode {text!r} is not hh:mm:ss:ff", text=text)
    if not rate:
        return None, N_("timecode {text} needs the video's frame rate, which is unknown", text=text)
    hh, mm, ss, sep, ff = match.groups()
    fps = round(rate)
    if fps < 1 or int(ff) >= fps or int(mm) > 59 or int(ss) > 59:
        return None, N_("timecode {text} does not fit {fps:g} frames per second", text=text, fps=float(rate))
    if sep != ":" and fps % 30:
        return None, N_("drop-frame timecode {text} does not fit {fps:g} frames per second", text=text, fps=float(rate))
    return f"{int(hh):02d}:{mm}:{ss}{sep}{int(ff):02d}", ""


def carried_tags(stream, index: int, withheld: list[str]) -> dict:
    """The tags of ``stream`` the derivative keeps: its language, and titles and handler names
    made of generic words only; any other label's name goes to ``withheld`` (not its text)."""
    tags = {}
    language = tag(stream.metadata, "language")
    if language and re.fullmatch(r"[a-z]{3}", language) and language != "und":
        tags["language"] = language
    for name, value in dict(stream.metadata).items():
        key = LABEL_KEYS.get(name.lower())
        if key is None or not value or key in tags:
            continue
        text = str(value)
        words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
        if len(text) <= 64 and words and all(w.isdigit() or w in LABEL_WORDS for w in words):
            tags[key] = text
        else:
            withheld.append(f"stream {index} {key}")
    return tags


def stream_facts(container, video, rate: Fraction | None) -> dict:
    """Timecode, carried tags, dropped streams and withheld labels, for ``VideoInfo``.

    Audio is the writer's business (the log's ``derivative.audio``); every other stream but
    the first video is left out, since nothing redacts it, and said so. A MOV/MP4 timecode
    track (a data stream with a ``timecode`` tag) is carried as the derivative's own timecode.
    """
    text = tag(video.metadata, "timecode") or tag(container.metadata, "timecode")
    for stream in container.streams.data:
        text = text or tag(stream.metadata, "timecode")
    timecode, why_not = check_timecode(text, rate) if text else (None, "")
    tags, dropped, withheld = {}, [], []
    for stream in container.streams:
        kind = stream.type
        if stream.index == video.index or kind == "audio":
            key = "video" if stream.index == video.index else str(stream.index)
            tags[key] = carried_tags(stream, stream.index, withheld)
            continue
        ctx = stream.codec_context
        codec = ctx.name if ctx is not None else (getattr(stream, "name", None) if kind == "data" else None)
        if kind == "data" and tag(stream.metadata, "timecode"):
            if timecode:
                continue  # carried: the derivative gets a timecode track of its own
            why = why_not
        else:
            why = WHY_DROPPED.get(kind, N_("not redacted: MP4 has no place for it"))
        language = tag(stream.metadata, "language")
        dropped.append(
            {
                "index": stream.index,
                "type": kind,
                "codec": codec,
                "language": language,
                "why": why,
                "why_said": as_record(why),
            }
        )
    if text and not timecode and not any(d["why"] == why_not for d in dropped):
        dropped.append(
            {
                "index": None,
                "type": "timecode",
                "codec": None,
                "language": None,
                "why": why_not,
                "why_said": as_record(why_not),
            }
        )
    return {"timecode": timecode, "tags": tags, "dropped_streams": tuple(dropped), "labels_withheld": tuple(withheld)}


def not_carried_note(dropped) -> str:
    """'2 streams not carried: subtitle eng, data', for ``redact run`` and reports ("" if none)."""
    if not dropped:
        return ""
    names = ", ".join(" ".join(filter(None, [d["type"], d.get("language")])) for d in dropped)
    if len(dropped) == 1:
        return N_("1 stream not carried: {names}", names=names)
    return N_("{n} streams not carried: {names}", n=len(dropped), names=names)


def probe(path: Path) -> VideoInfo:
    """Read stream facts and decode the first frame (proves the file really decodes)."""
    with contextlib.closing(open_input(path)) as container:
        stream = container.streams.video[0]
        first, damaged = None, 0
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.InvalidDataError:  # a damaged packet: skipped, as decoding will
                    damaged += 1
                    if damaged > MAX_DAMAGED_AT_START:
                        raise
                    continue
                if frames:
                    first = frames[0]
                    break
        except av.FFmpegError as exc:
            raise BadInputError(N_("video stream does not decode ({kind})"), path, kind=type(exc).__name__) from exc
        if first is None:
            raise BadInputError(N_("no decodable video frame (truncated or corrupt)"), path)
        cc = stream.codec_context
        duration = float(container.duration / av.time_base) if container.duration else None
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            width=first.width,
            height=first.height,
            pix_fmt=first.format.name,
            codec=cc.name,
            time_base=stream.time_base or Fraction(1, 90000),
            rate=rate,
            frames=stream.frames or 0,
            duration_s=duration,
            audio_streams=len(container.streams.audio),
            other_streams=len(container.streams) - len(container.streams.audio) - 1,
            display_matrix=read_display_matrix(first),
            rotation=int(first.rotation or 0) % 360,
            container_format=container.format.name,
            start_s=float(container.start_time / av.time_base) if container.start_time else 0.0,
            interlaced=field_order(first.interlaced_frame, cc.field_order),
            color={
                "color_range": int(first.color_range or 0),
                "colorspace": int(first.colorspace or 2),
                "color_primaries": int(cc.color_primaries or 2),
                "color_trc": int(cc.color_trc or 2),
            },
            **stream_facts(container, stream, rate),
        )


def frame_to_i420(frame: av.VideoFrame) -> np.ndarray:
    """The frame as one contiguous, writable I420 buffer of even size (H*3/2, W).

    4:2:0 input of even size is taken as decoded, bit for bit. Anything else goes through
    4:4:4 (no chroma loss), is edge-padded to even size, and has its chroma averaged 2x2.
    """
    w, h = frame.width, frame.height
    if frame.format.name in DIRECT_FORMATS and w % 2 == 0 and h % 2 == 0:
        return frame.to_ndarray()
    yuv = frame.reformat(format="yuv444p").to_ndarray()  # (3, h, w)
    pw, ph = w % 2, h % 2
    if pw or ph:
        yuv = np.stack([cv2.copyMakeBorder(p, 0, ph, 0, pw, cv2.BORDER_REPLICATE) for p in yuv])
    hh, ww = h + ph, w + pw
    u = cv2.resize(yuv[1], (ww // 2, hh // 2), interpolation=cv2.INTER_AREA)
    v = cv2.resize(yuv[2], (ww // 2, hh // 2), interpolation=cv2.INTER_AREA)
    return np.concatenate([yuv[0].reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(hh * 3 // 2, ww)


def i420_to_rgb(buf: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(buf, cv2.COLOR_YUV2RGB_I420)


def iter_media(
    container: av.container.InputContainer, copy_audio: bool, report: DecodeReport, threads: int = 0
) -> Iterator[tuple[str, object]]:
    """Yield ("video", VideoFrame) and, when ``copy_audio``, ("audio", Packet) in file order.

    Decoding is threaded (``threads`` 0: FFmpeg picks, one per core). A packet the decoder
    refuses (damaged bytes, as on a failing memory card) is skipped and counted, as FFmpeg's
    own tools do, so the rest of the recording is kept. A read error ends the stream early:
    what decoded so far is kept and ``report`` says where and why it stopped, instead of
    failing the whole clip.
    """
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    video.codec_context.thread_count = threads
    streams = [video, *container.streams.audio] if copy_audio else [video]
    try:
        for packet in container.demux(streams):
            if packet.stream.type == "audio":
                if packet.dts is not None:
                    yield "audio", packet
                continue
            if packet.pts is not None and packet.duration:
                end = packet.pts + packet.duration
                report.video_end = end if report.video_end is None else max(report.video_end, end)
            try:
                frames = packet.decode()
            except av.InvalidDataError as exc:
                report.damaged_packets += 1
                report.damage = f"{type(exc).__name__}: {exc}"
                if packet.pts is not None and len(report.damaged_at_s) < MAX_DAMAGE_LISTED:
                    report.damaged_at_s.append(round(float(packet.pts * packet.time_base), 6))
                continue
            for frame in frames:
                report.frames += 1
                if frame.pts is not None:
                    report.last_pts_s = float(frame.pts * frame.time_base)
                yield "video", frame
    except av.FFmpegError as exc:
        report.stopped_early = True
        report.reason = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(av.FFmpegError):  # frames still buffered in the decoder
            for frame in video.codec_context.decode(None):
                report.frames += 1
                yield "video", frame
