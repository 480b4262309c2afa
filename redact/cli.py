"""The ``redact`` command line: gathers settings, calls the library, maps errors to exit codes."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from . import __version__
from .errors import BadInputError, RedactError, Terminated, sigterm_as_interrupt, translated
from .i18n import N_, _, decimal, shown
from .options import STALL_S, X264_PRESETS, DetectOptions, RedactOptions
from .presets import DEFAULT_PRESET
from .presets import available as available_presets
from .review.operator_regions import parse_regions
from .review.request_fields import parse_ranges, parse_time, parse_tracks
from .speech.transcribe import AUTO, check_language

D = DetectOptions()
KINDS = ",".join(D.kinds)


def preset_defaults() -> dict[str, N_]:
    """What each preset-backed flag of ``redact run`` gets when not given, as --help says it:
    the values of the default preset's file (pipelines/disclosure.toml), read, not copied."""
    from .presets import options_from_preset

    try:
        o = options_from_preset(DEFAULT_PRESET)
    except Exception:  # a broken preset must not break --help; running will say what is wrong
        return {}
    values = {
        "kinds": ",".join(o.detect.kinds),
        "style": o.mask.style,
        "shape": o.mask.shape,
        "margin": o.detect.margin,
        "threshold": o.detect.threshold,
        "every": o.detect.every,
        "face_size": "native" if o.detect.face_size is None else o.detect.face_size,
        "plate_size": o.detect.plate_size,
        "coast": o.track.coast,
        "face_models": ",".join(o.detect.face_models),
        "turned_faces": "yes" if o.detect.turned_faces else "no",
        "turned_every": o.detect.turned_every,
        "turned_size": "native" if o.detect.turned_size is None else o.detect.turned_size,
        "plate_every": o.detect.plate_every,
        "small_faces": "yes" if o.detect.small_faces else "no",
        "small_faces_every": o.detect.small_faces_every,
        "plate_filter": o.detect.plate_filter or "off",
        "crf": o.encode.crf,
        "x264_preset": o.encode.preset,
    }
    return {k: N_("from the preset; {preset}: {value}", preset=DEFAULT_PRESET, value=v) for k, v in values.items()}


PRESET_DEFAULTS = preset_defaults()


def from_preset(name: str) -> N_:
    return PRESET_DEFAULTS.get(name, N_("from the preset"))


def show_what_users_type() -> None:
    """typer >= 0.2x puts Python's annotation in --help's type column (``<list[Path]>`` beside
    an argument's metavar, ``<bool>`` beside a flag, ``<float range>``). Show what a user types:
    the metavar alone, nothing beside a flag. Older typer versions already do; left alone."""
    from typer.core import TyperArgument, TyperOption

    if getattr(TyperArgument, "_redact_plain", False) or not hasattr(TyperArgument, "display_type_rich"):
        return
    argument_type, option_type = TyperArgument.display_type_rich, TyperOption.display_type_rich

    def argument(self, ctx):
        return None if self.metavar is not None else argument_type(self, ctx)

    def option(self, ctx):
        return None if getattr(self, "is_flag", False) and self.metavar is None else option_type(self, ctx)

    TyperArgument.display_type_rich, TyperOption.display_type_rich = argument, option
    usage = getattr(TyperArgument, "_usage_display_name", None)
    if usage is not None:  # FILE... already says it repeats: not {FILE...}...

        def usage_name(self):
            name = usage(self)
            return name[:-3] if (self.metavar or "").endswith("...") and name.endswith(("}...", "]...")) else name

        TyperArgument._usage_display_name = usage_name
    TyperArgument._redact_plain = True


show_what_users_type()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help=N_("Offline redaction of faces and plates in evidence video, with sealed originals."),
)
DEBUG = bool(os.environ.get("REDACT_DEBUG"))


def say_error(message: str) -> None:
    """``redact: error: MESSAGE`` on stderr, in the interface language."""
    typer.echo(_("redact: error: {message}").format(message=message), err=True)


def say_warning(name: str, message: str) -> None:
    """``redact: warning: CLIP: MESSAGE`` on stderr: done, but something to act on."""
    typer.echo(_("redact: warning: {name}: {message}").format(name=name, message=message), err=True)


def say_note(message: str) -> None:
    typer.echo(_("note: {message}").format(message=message), err=True)


def refuse(message: str) -> NoReturn:
    """A command line that cannot run as given: one line, exit 2, nothing done."""
    say_error(message)
    raise typer.Exit(2)


def fail(error: RedactError) -> None:
    say_error(error.describe())


def crash(path: object, error: Exception) -> int:
    """An unexpected failure: one line for the user, the traceback only with REDACT_DEBUG=1."""
    said = _(
        "redact: internal error: {path}: {error} (no derivative or log was written; set REDACT_DEBUG=1 for a"
        " traceback and report it)"
    )
    typer.echo(said.format(path=path, error=f"{type(error).__name__}: {error}"), err=True)
    if DEBUG:
        traceback.print_exc()
    return 1


def comma_separated(text: str) -> tuple[str, ...]:
    """``face,plate`` or ``centerface, retinaface`` as a tuple of names."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"redact {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help=N_("Print the version and exit.")),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="de|en",
            help=N_("Language of reports and messages (default: REDACT_LANG, else the locale, else English)."),
        ),
    ] = None,
) -> None:
    """Seal originals, redact faces, write NAME.redacted.mp4 and its log beside them."""
    from . import i18n

    try:
        i18n.set_language(lang)
    except ValueError as error:
        refuse(f"--lang: {error}")
    if lang is not None:  # the processes this command starts (batch clips, Dask workers) speak it too
        os.environ["REDACT_LANG"] = i18n.current()


def options_or_exit(preset: str, overrides: dict, **run) -> RedactOptions:
    """Options from a preset plus the flags given; a bad value exits 2 with one line."""
    from .presets import options_from_preset

    cleaned = {section: {k: v for k, v in values.items() if v is not None} for section, values in overrides.items()}
    try:
        return options_from_preset(preset, cleaned, say_note, **run)
    except ValueError as exc:
        refuse(translated(exc))
    except RedactError as error:
        if preset in X264_PRESETS:
            error.hint = N_("{preset!r} is an x264 preset: use --x264-preset {preset}", preset=preset)
        raise


CASE_DIR_HELP = N_(
    "Case folder for seals, derivatives, logs and the custody log, when the originals' folder is"
    " read-only (a share, write-once media): the originals are then only read."
)
CASE_DIR_AND_STATE_HELP = N_(
    "Case folder for seals, derivatives, logs and the custody log, when the originals' folder is"
    " read-only (a share, write-once media): the originals are then only read. Also holds the state and reports."
)
PRESET_HELP = N_(
    "Pipeline preset from pipelines/ (bulk, court-copy, disclosure, fast) or a .toml file; flags override it."
)
WORKERS_HELP = N_("Detection processes, and decoder/encoder threads (default: every core; 0: detect in-process).")


# Flags shared by run, analyze and render (one declaration each, one help text)
Inputs = Annotated[list[Path], typer.Argument(metavar="FILE...", help=N_("Original video files (never modified)."))]
PresetFlag = Annotated[str, typer.Option(metavar="NAME", help=PRESET_HELP)]
KindsFlag = Annotated[
    str | None,
    typer.Option(
        metavar="KINDS", help=N_("What to redact: face, plate or face,plate."), show_default=from_preset("kinds")
    ),
]
StyleFlag = Annotated[
    str | None,
    typer.Option(
        metavar="STYLE",
        help=N_("How regions are obscured: blur, pixelate, solid."),
        show_default=from_preset("style"),
    ),
]
ShapeFlag = Annotated[
    str | None, typer.Option(metavar="SHAPE", help=N_("Mask shape: box or ellipse."), show_default=from_preset("shape"))
]
MarginFlag = Annotated[
    float | None,
    typer.Option(
        metavar="FRACTION",
        help=N_("Grow each face box by this fraction of its size per side."),
        show_default=from_preset("margin"),
    ),
]
ThresholdFlag = Annotated[
    float | None,
    typer.Option(
        metavar="0.0-1.0",
        help=N_("Face detector score threshold (lower finds more)."),
        show_default=from_preset("threshold"),
    ),
]
DetectEveryFlag = Annotated[
    int | None,
    typer.Option(
        metavar="N", help=N_("Detect on every N-th frame; tracks fill the rest."), show_default=from_preset("every")
    ),
]
FaceSizeFlag = Annotated[
    int | None,
    typer.Option(
        metavar="PX",
        help=N_("Longest side of the image the face model sees (160-8192)."),
        show_default=from_preset("face_size"),
    ),
]
PlateSizeFlag = Annotated[
    int | None,
    typer.Option(
        metavar="PX",
        help=N_("Longest side of the image the plate model sees (160-8192)."),
        show_default=from_preset("plate_size"),
    ),
]
FaceModelsFlag = Annotated[
    str | None,
    typer.Option(
        metavar="MODELS",
        help=N_("Face models, one or more of centerface, retinaface, yunet (several: merged)."),
        show_default=from_preset("face_models"),
    ),
]
TurnedFacesFlag = Annotated[
    bool | None,
    typer.Option(
        "--turned-faces/--upright-faces",
        help=N_("Also look for faces turned a quarter (a person on the ground); ~3x the face model's cost."),
        show_default=from_preset("turned_faces"),
    ),
]


def stride_flag(help: str, option: str):
    """An "every N-th detected frame" flag whose default comes from the preset's ``option``."""
    return Annotated[int | None, typer.Option(metavar="N", min=1, help=help, show_default=from_preset(option))]


TurnedEveryFlag = stride_flag(
    N_("With --turned-faces: look at the turned copies on every N-th detected frame only; tracks carry the rest."),
    "turned_every",
)
TurnedSizeFlag = Annotated[
    int | None,
    typer.Option(
        metavar="PX",
        help=N_("With --turned-faces: make the turned copies from the picture shrunk to this longest side (160-8192)."),
        show_default=from_preset("turned_size"),
    ),
]
PlateEveryFlag = stride_flag(
    N_("Look for plates on every N-th detected frame only; tracks carry the rest."), "plate_every"
)
SmallFacesFlag = Annotated[
    bool | None,
    typer.Option(
        "--small-faces/--no-small-faces",
        help=N_(
            "Also look for small faces (under 40 px) on the picture enlarged 2x, in tiles (~4x CenterFace's cost)."
        ),
        show_default=from_preset("small_faces"),
    ),
]
SmallFacesEveryFlag = stride_flag(
    N_("With --small-faces: the enlarged pass on every N-th detected frame only; tracks carry the rest."),
    "small_faces_every",
)
PlateFilterFlag = Annotated[
    float | None,
    typer.Option(
        metavar="T",
        help=N_("Leave text lines the learned plate filter scores below T unmasked (0: off; 0.1 suggested)."),
        show_default=from_preset("plate_filter"),
    ),
]
KeepLostFlag = Annotated[
    int | None,
    typer.Option(
        metavar="FRAMES",
        help=N_("Frames a lost face stays masked along its motion."),
        show_default=from_preset("coast"),
    ),
]
CrfFlag = Annotated[
    int | None,
    typer.Option(
        metavar="0-51",
        help=N_("x264 constant rate factor (lower is better quality)."),
        show_default=from_preset("crf"),
    ),
]
X264PresetFlag = Annotated[
    str | None,
    typer.Option(
        metavar="NAME", help=N_("x264 speed preset (ultrafast ... veryslow)."), show_default=from_preset("x264_preset")
    ),
]
WorkersFlag = Annotated[int | None, typer.Option(metavar="N", help=WORKERS_HELP)]
MuteFlag = Annotated[bool, typer.Option("--mute", help=N_("Leave audio out of the derivative."))]
MuteRangesFlag = Annotated[
    str | None,
    typer.Option(
        metavar="RANGES",
        help=N_('Silence these stretches of audio, seconds from the clip\'s start: "12-20; 1:02-1:10.5".'),
    ),
]
AudioRedactionFlag = Annotated[
    str,
    typer.Option(
        metavar="mute|bleep",
        help=N_("What replaces the audio in --mute-ranges: mute (silence) or bleep (a 1 kHz tone at -12 dBFS)."),
    ),
]
BleepWordsFlag = Annotated[
    str | None,
    typer.Option(
        metavar="WORDS",
        help=N_('Bleep every place these words or phrases are said (needs the transcript): "Daniel Martinez; 221B".'),
    ),
]
BleepPatternsFlag = Annotated[
    str | None,
    typer.Option(
        metavar="PATTERNS",
        help=N_(
            "Bleep every spoken number of 5+ digits, date, e-mail address, street and house number or vehicle"
            " registration: numbers,dates,emails,addresses,plates."
        ),
    ),
]
BleepWordsFileFlag = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help=N_(
            "As --bleep-words, one entry per line, from a file: the names stay out of the process list and history."
        ),
    ),
]
LanguageFlag = Annotated[
    str,
    typer.Option(
        metavar="de|en|auto",
        help=N_(
            "Language of the speech, as transcribed (any Whisper language code); auto: the one Whisper hears."
            " The language heard is recorded, and a warning given when it is not the one asked for."
        ),
    ),
]
BleepMarginFlag = Annotated[
    float | None,
    typer.Option(
        metavar="SECONDS",
        help=N_(
            "Seconds bleeped before and after each spoken word or number (default 0.25 around listed words,"
            " 0.5 around numbers, dates and the other patterns)."
        ),
    ),
]
KeepTracksFlag = Annotated[
    str | None,
    typer.Option(
        metavar="IDS",
        help=N_(
            'Leave these tracks visible: "3 7", ids from the earlier log (or its court report) of this clip,'
            " made with the same settings; with --force. A track keeps its whole subject (every track of that face)."
        ),
    ),
]
AddRegionsFlag = Annotated[
    str | None,
    typer.Option(
        metavar="REGIONS",
        help=N_(
            "Also mask what review found, pixels as shown: "
            '"12-15.5@640,200,760,340" (still) or "12@640,200,760,340 ~ 15@700,210,820,350" (moving); ";" between.'
            " A box past the picture's edge stops at the edge."
        ),
    ),
]
ForceFlag = Annotated[bool, typer.Option("--force", help=N_("Replace an existing derivative and log."))]
CaseDirFlag = Annotated[Path | None, typer.Option(metavar="DIR", help=CASE_DIR_HELP)]
OperatorFlag = Annotated[
    str | None, typer.Option(metavar="NAME", help=N_("Name recorded in seal and log (default: OS user)."))
]
QuietFlag = Annotated[bool, typer.Option("--quiet", "-q", help=N_("No progress bar; one line per file."))]
ReasonFlag = Annotated[
    str | None,
    typer.Option(
        metavar="TEXT",
        help=N_(
            "Why --keep-tracks, --add-regions, --mute-ranges and --redact-frames are asked for, as the log and"
            " court report record it (required with --keep-tracks)."
        ),
    ),
]


@app.command(
    help=N_(
        "Redact each FILE into FILE.redacted.mp4 (+ FILE.redacted.json) beside it: analyse (or reuse an"
        " earlier analysis made with the same settings), then render."
    )
)
def run(
    inputs: Inputs,
    preset: PresetFlag = DEFAULT_PRESET,
    kinds: KindsFlag = None,
    style: StyleFlag = None,
    shape: ShapeFlag = None,
    margin: MarginFlag = None,
    threshold: ThresholdFlag = None,
    detect_every: DetectEveryFlag = None,
    face_size: FaceSizeFlag = None,
    plate_size: PlateSizeFlag = None,
    keep_lost: KeepLostFlag = None,
    face_models: FaceModelsFlag = None,
    turned_faces: TurnedFacesFlag = None,
    turned_every: TurnedEveryFlag = None,
    turned_size: TurnedSizeFlag = None,
    small_faces: SmallFacesFlag = None,
    small_faces_every: SmallFacesEveryFlag = None,
    plate_every: PlateEveryFlag = None,
    plate_filter: PlateFilterFlag = None,
    crf: CrfFlag = None,
    x264_preset: X264PresetFlag = None,
    workers: WorkersFlag = None,
    mute: MuteFlag = False,
    mute_ranges: MuteRangesFlag = None,
    audio_redaction: AudioRedactionFlag = "mute",
    bleep_words: BleepWordsFlag = None,
    bleep_patterns: BleepPatternsFlag = None,
    bleep_words_file: BleepWordsFileFlag = None,
    bleep_margin: BleepMarginFlag = None,
    language: LanguageFlag = AUTO,
    keep_tracks: KeepTracksFlag = None,
    add_regions: AddRegionsFlag = None,
    reason: ReasonFlag = None,
    force: ForceFlag = False,
    case_dir: CaseDirFlag = None,
    operator: OperatorFlag = None,
    quiet: QuietFlag = False,
) -> None:
    from .pipeline import redact_file

    options = clip_options(
        preset,
        detect=detect_flags(locals()),
        render={"style": style, "shape": shape, "crf": crf, "x264_preset": x264_preset},
        requests={"mute_ranges": mute_ranges, "keep_tracks": keep_tracks, "add_regions": add_regions},
        mute=mute,
        force=force,
        operator=operator,
        reason=reason_for(keep_tracks, reason),
        quiet=quiet,
        workers=workers,
        audio_redaction=audio_redaction,
        language=language,
        **spoken_flags(bleep_words, bleep_patterns, bleep_margin, bleep_words_file),
    )
    say_if_unsigned()
    for_each_clip(inputs, lambda path: ok_line(redact_file(path, options, case_dir=case_dir), options.bleep_words))


@app.command(
    help=N_(
        "Seal each FILE and detect and track what it shows, once, into FILE.analysis.json: `redact render`"
        " (and the review page) then mask from it without running a model."
    )
)
def analyze(
    inputs: Inputs,
    preset: PresetFlag = DEFAULT_PRESET,
    kinds: KindsFlag = None,
    margin: MarginFlag = None,
    threshold: ThresholdFlag = None,
    detect_every: DetectEveryFlag = None,
    face_size: FaceSizeFlag = None,
    plate_size: PlateSizeFlag = None,
    keep_lost: KeepLostFlag = None,
    face_models: FaceModelsFlag = None,
    turned_faces: TurnedFacesFlag = None,
    turned_every: TurnedEveryFlag = None,
    turned_size: TurnedSizeFlag = None,
    small_faces: SmallFacesFlag = None,
    small_faces_every: SmallFacesEveryFlag = None,
    plate_every: PlateEveryFlag = None,
    plate_filter: PlateFilterFlag = None,
    workers: WorkersFlag = None,
    transcribe: Annotated[
        bool,
        typer.Option(
            "--transcribe", help=N_("Also transcribe what is said (as `redact transcribe`; redact\\[speech]).")
        ),
    ] = False,
    language: LanguageFlag = AUTO,
    force: Annotated[bool, typer.Option("--force", help=N_("Analyse again over an existing analysis."))] = False,
    case_dir: CaseDirFlag = None,
    operator: OperatorFlag = None,
    quiet: QuietFlag = False,
) -> None:
    from .pipeline import analyze_file

    if transcribe:
        from .speech.model import require_speech

        require_speech()  # before any clip is sealed or analysed

    options = clip_options(
        preset,
        detect=detect_flags(locals()),
        force=force,
        operator=operator,
        quiet=quiet,
        workers=workers,
        language=language,
    )
    say_if_unsigned()

    def work(path: Path) -> bool:
        result = analyze_file(path, options, case_dir=case_dir)
        typer.echo(done_line(result.path, result))
        if transcribe:
            return transcript_line(path, options, case_dir)
        return False

    for_each_clip(inputs, work)


def done_line(path: Path, result) -> str:
    """``OK: PATH (N frames, what was found, N regions, S s)``: an analysis or a derivative made."""
    return _("OK: {path} ({frames} frames, {found}{regions} regions, {seconds} s)").format(
        path=path,
        frames=result.frames,
        found=f"{result.found}, " if result.found else "",
        regions=result.regions,
        seconds=decimal(result.seconds, 1),
    )


def transcript_line(path: Path, options, case_dir: Path | None, hints: tuple[str, ...] = ()) -> bool:
    """Transcribe one clip and say where its transcript is (never what it says); whether there
    was a warning to act on (a transcript not to rely on)."""
    from .pipeline import transcribe_file

    result = transcribe_file(path, options, case_dir=case_dir, hints=hints)
    said = _("{words} words in {seconds} s of audio").format(words=result.words, seconds=decimal(result.duration_s, 1))
    damage = []
    if result.damaged_packets:
        damage.append(_("{n} damaged audio packets skipped").format(n=result.damaged_packets))
    if result.stopped_early:
        damage.append(_("the sound could not be read to its end ({why})").format(why=result.stopped_early))
    if result.other_streams:
        damage.append(_("only the first of {n} audio streams was transcribed").format(n=result.other_streams + 1))
    note = ""
    if damage:
        note = _(" (warning: {damage}: what was said there is not in the transcript)").format(damage="; ".join(damage))
    heard = _(", language {language}").format(language=result.language) if result.language else ""
    if result.language_heard is not None:
        heard += _(" (heard: {heard}, probability {p})").format(
            heard=result.language_heard, p=decimal(result.language_probability, 2)
        )
    typer.echo(
        _("OK: {path} ({said}{heard}, {seconds} s){note}").format(
            path=result.path, said=said, heard=heard, seconds=decimal(result.seconds, 1), note=note
        )
    )
    if result.language_warning is not None:
        say_warning(path.name, shown(result.language_warning))
    if result.doubtful is not None:
        from .pipeline.transcribe import doubt_warning

        say_warning(path.name, shown(doubt_warning(result.doubtful, None)))
    return result.doubtful is not None or result.language_warning is not None


@app.command(
    name="transcribe",
    help=N_(
        "Transcribe what each FILE's first audio track says, offline, into FILE.transcript.json beside its"
        " seal: words with start and end times, signed, read-only, in the custody log. It holds personal data:"
        " it is written nowhere else, and logs and reports never quote it. Needs redact\\[speech] (Whisper"
        " base: German, English and every language Whisper knows)."
    ),
)
def transcribe_command(
    inputs: Inputs,
    workers: Annotated[
        int | None, typer.Option(min=1, metavar="N", help=N_("CPU threads for the model (default: every core)."))
    ] = None,
    hints: Annotated[
        str | None,
        typer.Option(
            metavar="WORDS",
            help=N_(
                'Names and words from the case the model may hear ("Aisha Okafor; Elm Road"): heard right more often.'
            ),
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=N_("Transcribe again over an existing transcript."))] = False,
    language: LanguageFlag = AUTO,
    case_dir: CaseDirFlag = None,
    operator: OperatorFlag = None,
    quiet: QuietFlag = False,
) -> None:
    from .speech.model import require_speech
    from .speech.withhold import parse_word_list

    options = options_or_exit(
        DEFAULT_PRESET, {}, force=force, operator=operator, quiet=quiet, workers=workers, language=language
    )
    told = parsed("--hints", parse_word_list, hints) if hints else ()
    require_speech()
    say_if_unsigned()
    for_each_clip(inputs, lambda path: transcript_line(path, options, case_dir, told))


@app.command(
    help=N_(
        "Render each FILE's derivative from its analysis and the review decisions: decode, mask, encode; no"
        " model runs, so a correction costs a transcode."
    )
)
def render(
    inputs: Inputs,
    decisions: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help=N_("Review decisions to apply (default: FILE.decisions.json beside the analysis, when there is one)."),
        ),
    ] = None,
    preset: PresetFlag = DEFAULT_PRESET,
    style: StyleFlag = None,
    shape: ShapeFlag = None,
    crf: CrfFlag = None,
    x264_preset: X264PresetFlag = None,
    workers: WorkersFlag = None,
    mute: MuteFlag = False,
    mute_ranges: MuteRangesFlag = None,
    audio_redaction: AudioRedactionFlag = "mute",
    bleep_words: BleepWordsFlag = None,
    bleep_patterns: BleepPatternsFlag = None,
    bleep_words_file: BleepWordsFileFlag = None,
    bleep_margin: BleepMarginFlag = None,
    keep_tracks: Annotated[
        str | None,
        typer.Option(
            metavar="IDS",
            help=N_('Leave these tracks of the analysis visible: "3 7" (its review page, log or report).'),
        ),
    ] = None,
    add_regions: AddRegionsFlag = None,
    redact_frames: Annotated[
        str | None,
        typer.Option(
            metavar="RANGES",
            help=N_(
                'Black out the whole picture in these stretches, seconds from the clip\'s start: "12-20; 1:02-1:10".'
            ),
        ),
    ] = None,
    save_decisions: Annotated[
        bool,
        typer.Option(
            "--save-decisions",
            help=N_(
                "Save what is applied (decisions file and flags) as FILE.decisions.json, signed, for the next render."
            ),
        ),
    ] = False,
    reason: ReasonFlag = None,
    force: ForceFlag = False,
    case_dir: CaseDirFlag = None,
    operator: OperatorFlag = None,
    quiet: QuietFlag = False,
) -> None:
    from .pipeline import render_file

    options = clip_options(
        preset,
        render={"style": style, "shape": shape, "crf": crf, "x264_preset": x264_preset},
        requests={"mute_ranges": mute_ranges, "keep_tracks": keep_tracks, "add_regions": add_regions},
        mute=mute,
        force=force,
        operator=operator,
        reason=reason_for(keep_tracks, reason),
        quiet=quiet,
        workers=workers,
        audio_redaction=audio_redaction,
        **spoken_flags(bleep_words, bleep_patterns, bleep_margin, bleep_words_file),
    )
    pictures = parsed("--redact-frames", parse_ranges, redact_frames)
    say_if_unsigned()
    for_each_clip(
        inputs,
        lambda path: ok_line(
            render_file(path, options, decisions, pictures, case_dir=case_dir, save=save_decisions), options.bleep_words
        ),
    )


@app.command(
    help=N_(
        "Review a clip in a local page: check every track, keep the subject visible, add what was missed,"
        " mute or bleep what was said, render. Analyses clips without an analysis first. The page listens on"
        " 127.0.0.1 only, behind a one-time token in the address it prints."
    )
)
def review(
    path: Annotated[Path, typer.Argument(metavar="CLIP|FOLDER", help=N_("A clip, or a folder of clips, to review."))],
    reviewer: Annotated[
        str | None, typer.Option(metavar="NAME", help=N_("Who reviews: named in the decisions and the custody log."))
    ] = None,
    port: Annotated[int, typer.Option(metavar="N", help=N_("Port on 127.0.0.1 (default: a free one)."))] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help=N_("Print the address only; do not open a browser."))
    ] = False,
    preset: PresetFlag = DEFAULT_PRESET,
    kinds: KindsFlag = None,
    workers: WorkersFlag = None,
    language: LanguageFlag = AUTO,
    case_dir: CaseDirFlag = None,
) -> None:
    from .review.page.serve import analyse_missing, clips_under, open_browser, start

    options = clip_options(
        preset,
        detect=detect_flags({"kinds": kinds}),
        operator=reviewer,
        workers=workers,
        language=language,
    )
    say_if_unsigned()
    _folder, clips = clips_under(path)
    if not clips:
        raise BadInputError(N_("no video clips in this folder"), path)
    analyse_missing(clips, options, case_dir)

    def ready(url: str) -> None:
        typer.echo(_("Review page: {url}").format(url=url))
        typer.echo(_("(listening on 127.0.0.1 only; Ctrl-C to stop)"))
        if not no_browser:
            open_browser(url)

    try:
        start(
            path,
            options,
            reviewer or "",
            port,
            case_dir,
            background=False,
            ready=ready,
            waiting=lambda clip: typer.echo(_("Waiting for the render of {clip} to finish…").format(clip=clip)),
        )
    except KeyboardInterrupt:  # Ctrl-C is how a review ends: every decision is saved already
        typer.echo(_("Review stopped (decisions are saved as they are made)."))
    except OSError as error:
        raise BadInputError(
            N_("cannot listen on 127.0.0.1:{port} ({reason})"), path, port=port, reason=error.strerror or str(error)
        ) from error


# run's and analyze's parameters that set detection and tracking: the option each sets
DETECT_FLAGS = {
    "kinds": "kinds",
    "threshold": "threshold",
    "margin": "margin",
    "detect_every": "every",
    "face_size": "face_size",
    "plate_size": "plate_size",
    "keep_lost": "coast",
    "face_models": "face_models",
    "turned_faces": "turned_faces",
    "turned_every": "turned_every",
    "turned_size": "turned_size",
    "small_faces": "small_faces",
    "small_faces_every": "small_faces_every",
    "plate_every": "plate_every",
    "plate_filter": "plate_filter",
}


def detect_flags(parameters: dict) -> dict:
    """The detection and tracking flags among a command's ``parameters`` (its ``locals()``), as
    ``clip_options`` takes them: one place for what run and analyze share."""
    return {option: parameters.get(flag) for flag, option in DETECT_FLAGS.items()}


def spoken_flags(words: str | None, patterns: str | None, margin: float | None, words_file: Path | None = None) -> dict:
    """``--bleep-words`` (and ``--bleep-words-file``), ``--bleep-patterns`` and ``--bleep-margin``
    as options (a bad value exits 2)."""
    from .speech.withhold import check_patterns, parse_word_list

    entries = parsed("--bleep-words", parse_word_list, words) if words else ()
    if words_file is not None:
        try:
            text = words_file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            refuse(_("--bleep-words-file: cannot read {file} ({error})").format(file=words_file, error=exc))
        entries += parsed("--bleep-words-file", parse_word_list, text.replace("\n", ";"))
    flags = {
        "bleep_words": entries or None,
        "bleep_patterns": parsed("--bleep-patterns", lambda v: check_patterns(comma_separated(v)), patterns)
        if patterns
        else None,
        "bleep_margin": margin,
    }
    return {k: v for k, v in flags.items() if v is not None}


def parsed(flag: str, parse, value):
    """``parse(value)``, or one line naming the flag and exit 2."""
    try:
        return parse(value)
    except ValueError as exc:
        refuse(f"{flag}: {translated(exc)}")


def clip_options(
    preset: str, detect: dict | None = None, render: dict | None = None, requests: dict | None = None, **run
):
    """Options for one command from the preset and the flags given (None: the preset's value)."""
    detect, render, requests = detect or {}, render or {}, requests or {}
    kinds = detect.get("kinds")
    overrides = {
        "detect": {
            "kinds": comma_separated(kinds) if kinds is not None else None,
            **{k: v for k, v in detect.items() if k not in ("kinds", "face_models", "coast")},
            "face_models": comma_separated(detect["face_models"]) if detect.get("face_models") else None,
        },
        "track": {"coast": detect.get("coast")},
        "mask": {"style": render.get("style"), "shape": render.get("shape")},
        "encode": {"crf": render.get("crf"), "preset": render.get("x264_preset")},
    }
    flags = {"mute_ranges": "--mute-ranges", "keep_tracks": "--keep-tracks", "add_regions": "--add-regions"}
    parsers = {"mute_ranges": parse_ranges, "keep_tracks": parse_tracks, "add_regions": parse_regions}
    request = {name: parsed(flags[name], parsers[name], value) for name, value in requests.items()}
    return options_or_exit(preset, overrides, **run, **request)


def reason_for(keep_tracks: str | None, reason: str | None) -> str | None:
    """``--reason``, required when faces are left visible: a face unmasked without a recorded
    reason is what a court asks about first."""
    if keep_tracks:
        parsed("--keep-tracks", parse_tracks, keep_tracks)  # ids that are no ids: that error first
    if keep_tracks and not (reason or "").strip():
        refuse(
            _(
                "--keep-tracks needs --reason: why these tracks stay visible (the log and court report record it),"
                ' e.g. --reason "subject of the request"'
            )
        )
    return reason.strip() if reason else None


def say_if_unsigned() -> None:
    from .evidence import keys

    signed = keys.load() is not None
    if not signed:
        say_note(_("no station key: seals, logs and custody entries are unsigned (run `redact keys init`)"))


def for_each_clip(inputs: list[Path], work) -> None:
    """``work(path)`` for every input; a failing clip is reported in one line and the next one
    runs; exits with the worst clip's code, or ``WARNED`` when every clip was done but one
    came with a warning to act on (``work`` returned true). Ctrl-C and SIGTERM stop with no
    partial output."""
    worst, warned = 0, False
    for path in inputs:
        try:
            with sigterm_as_interrupt():  # a service manager's stop cleans up as Ctrl-C does
                warned |= bool(work(path))
        except RedactError as error:
            fail(error)
            worst = max(worst, error.exit_code)
        except Terminated:
            typer.echo(_("redact: terminated (SIGTERM): {path} (no partial output left)").format(path=path), err=True)
            raise typer.Exit(Terminated.exit_code) from None
        except KeyboardInterrupt:
            typer.echo(_("redact: interrupted: {path} (no partial output left)").format(path=path), err=True)
            raise typer.Exit(130) from None
        except Exception as error:
            worst = max(worst, crash(path, error))
    raise typer.Exit(worst or (WARNED if warned else 0))


WARNED = 10  # every output written, but with a warning a person must act on (a word not found)


def ok_line(result, words: tuple[str, ...] = ()) -> bool:
    """``OK: DERIVATIVE (...)``, with what the user must know about the input and the audio,
    then a ``warning:`` line for each thing to act on, naming the ``words`` (the word list typed,
    shown on this terminal only); whether there was one."""
    notes = [_("rendered from the earlier analysis: no detection ran")] if result.analysis_reused else []
    if result.decisions is not None:
        notes.append(_("decisions {file} applied").format(file=result.decisions))
    if result.stopped_early:
        notes.append(_("input ended early; see log"))
    if result.damaged_packets:
        notes.append(
            _("{n} damaged video packets could not be decoded and were skipped; see log").format(
                n=result.damaged_packets
            )
        )
    if not result.audio_as_is:  # re-encoded or packets dropped: say how, not only in the log
        notes.append(_("audio: {audio}").format(audio=shown(result.audio)))
    if result.dropped_streams:  # subtitles, data: left out, and said so
        from .media.decode import not_carried_note

        notes.append(_("{what}; see log").format(what=shown(not_carried_note(result.dropped_streams))))
    if result.rescaled_frames:
        notes.append(_("{n} frames changed size mid-stream and were scaled; see log").format(n=result.rescaled_frames))
    if result.listed_without_picture:
        notes.append(
            _(
                "{n} frames the file's index lists held no picture: skipped by the camera, read to the end; see log"
            ).format(n=result.listed_without_picture)
        )
    typer.echo(done_line(result.derivative, result) + "".join(f" ({note})" for note in notes))
    from .pipeline.transcribe import warnings_of

    for warning in warnings_of(result.spoken, words) if words else result.warnings:
        say_warning(result.original.name, one_line(shown(warning)))
    return bool(result.warnings)


def detect_switch(flags: str, help: str):
    """An on/off flag of `redact detect` (its default is the library's)."""
    return Annotated[bool, typer.Option(flags, help=help)]


def detect_stride(help: str):
    """An "every N-th" flag of `redact detect`."""
    return Annotated[int, typer.Option(min=1, metavar="N", help=help)]


@app.command(
    help=N_(
        "Print one JSON line per image (or video frame) with boxes, mask regions, scores and the models that"
        " found each box. Images are looked at as a video's first frame is (turned copies and the enlarged"
        " pass for small faces included, unless --upright-faces / --no-small-faces)."
    )
)
def detect(
    paths: Annotated[
        list[str], typer.Argument(metavar="FILE...", help=N_("Images, or videos (every N-th frame with --every)."))
    ],
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help=N_("Output format: jsonl."))] = "jsonl",
    every: detect_stride(N_("For videos: detect on every N-th frame.")) = 1,
    kinds: Annotated[str, typer.Option(metavar="KINDS", help=N_("What to detect: face, plate or face,plate."))] = KINDS,
    threshold: Annotated[
        float, typer.Option(metavar="0.0-1.0", help=N_("Face detector score threshold (lower finds more)."))
    ] = D.threshold,
    margin: Annotated[
        float, typer.Option(metavar="FRACTION", help=N_("Face region margin, as in `redact run`."))
    ] = D.margin,
    face_models: Annotated[
        str, typer.Option(metavar="MODELS", help=N_("Face models, one or more of centerface, retinaface, yunet."))
    ] = ",".join(D.face_models),
    turned_faces: detect_switch(
        "--turned-faces/--upright-faces", N_("Also look for faces turned a quarter, as `redact run`.")
    ) = D.turned_faces,
    turned_every: detect_stride(N_("For videos: turned copies on every N-th detected frame.")) = D.turned_every,
    turned_size: Annotated[
        int | None,
        typer.Option(metavar="PX", help=N_("Turned copies made from the picture shrunk to this longest side.")),
    ] = D.turned_size,
    small_faces: detect_switch(
        "--small-faces/--no-small-faces", N_("Also look for small faces enlarged 2x, as `redact run`.")
    ) = D.small_faces,
    small_faces_every: detect_stride(
        N_("For videos: the enlarged pass on every N-th detected frame.")
    ) = D.small_faces_every,
    plate_filter: Annotated[
        float, typer.Option(metavar="T", help=N_("Plate filter threshold, as `redact run` (0: off)."))
    ] = D.plate_filter,
) -> None:
    from .detect.factory import build_detectors
    from .detect_images import detect_path

    if format != "jsonl":
        refuse(_("only --format jsonl is supported"))
    try:
        options = DetectOptions(
            kinds=comma_separated(kinds),
            threshold=threshold,
            margin=margin,
            every=every,
            face_models=comma_separated(face_models),
            turned_faces=turned_faces,
            turned_every=turned_every,
            turned_size=turned_size,
            small_faces=small_faces,
            small_faces_every=small_faces_every,
            plate_filter=plate_filter,
        )
    except ValueError as exc:
        refuse(translated(exc))
    detectors = build_detectors(options)
    worst = 0
    for path in paths:
        try:
            for line in detect_path(path, detectors, options):
                sys.stdout.write(json.dumps(line) + "\n")
        except RedactError as error:
            fail(error)
            worst = max(worst, error.exit_code)
        except Exception as error:
            worst = max(worst, crash(path, error))
    raise typer.Exit(worst)


keys_app = typer.Typer(no_args_is_help=True, help=N_("The station's signing key."))
app.add_typer(keys_app, name="keys")


@keys_app.command(
    "init", help=N_("Create the station's Ed25519 key pair in $REDACT_KEY_DIR (default ~/.config/redact/keys).")
)
def keys_init(
    passphrase: Annotated[
        bool, typer.Option("--passphrase", help=N_("Protect the private key with a passphrase (prompted)."))
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help=N_("Replace an existing key (old signatures stay valid)."))
    ] = False,
) -> None:
    from .evidence import keys

    keys.check_can_create(force=force)  # an existing key exits 4 before any passphrase is asked
    secret = typer.prompt("Passphrase", hide_input=True, confirmation_prompt=True).encode() if passphrase else None
    key = keys.create(passphrase=secret, force=force)
    typer.echo(_("station key created in {folder}").format(folder=keys.key_dir()))
    typer.echo(_("fingerprint: {fingerprint}").format(fingerprint=key.fingerprint))


@keys_app.command(
    "trust",
    help=N_(
        "Accept records signed by another station's key (its `redact keys show --pem`), e.g. a case sealed"
        " there and redacted here. Until then they are refused like forged ones."
    ),
)
def keys_trust(
    pem_file: Annotated[Path, typer.Argument(metavar="STATION.pub", help=N_("Another station's public key (PEM)."))],
) -> None:
    from .evidence import keys
    from .evidence.trust import TRUST_LIST_NAME, add_to_trust_list

    for fingerprint_ in sorted(add_to_trust_list(pem_file)):
        typer.echo(_("trusted: {fingerprint}").format(fingerprint=fingerprint_))
    typer.echo(_("trust list: {file}").format(file=keys.key_dir() / TRUST_LIST_NAME))


@keys_app.command("show", help=N_("Print the station key's fingerprint (and public key) for publication."))
def keys_show(pem: Annotated[bool, typer.Option("--pem", help=N_("Print the public key as PEM."))] = False) -> None:
    from .evidence import keys

    key = keys.load()
    if key is None:
        typer.echo(_("no station key: seals and logs are unsigned (run `redact keys init`)"), err=True)
        raise typer.Exit(1)
    typer.echo(_("fingerprint: {fingerprint}").format(fingerprint=key.fingerprint))
    if pem:
        typer.echo(keys.public_pem(key.public).decode().strip())


@app.command(help=N_("Check originals against seals, derivatives against logs, and the custody chain."))
def verify(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH...", help=N_("Files, folders or folder trees of originals/derivatives.")),
    ] = None,
    case_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help=N_("Case folder holding the seals of originals given as files (alone: verify it).")
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help=N_("Print a JSON report instead of one line per check."))
    ] = False,
    trust: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE.pem", help=N_("Public key (PEM) whose signatures alone are accepted; repeatable.")),
    ] = None,
    require_signed: Annotated[
        bool, typer.Option("--require-signed", help=N_("Treat unsigned seals, logs and entries as failures."))
    ] = False,
) -> None:
    from .evidence.trust import given_trust, station_trust
    from .evidence.verify import as_json, verify_paths

    if not paths and case_dir is None:
        refuse(_("give files or folders to verify, or --case-dir DIR"))
    policy = given_trust(trust) if trust else station_trust()
    findings = verify_paths(list(paths or []), policy, case_dir)
    if require_signed:
        findings = [f if f.status != "warn" else type(f)("fail", f.kind, f.path, f.detail, f.signer) for f in findings]
    if json_out:
        typer.echo(as_json(findings))
    else:
        print_findings(findings)
    raise typer.Exit(1 if any(f.status == "fail" for f in findings) else 0)


RESULT_COLOURS = {"ok": "green", "warn": "yellow", "fail": "red"}


def one_line(text: str) -> str:
    """``text`` with control characters (a newline in a file name) written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def print_findings(findings: list) -> None:
    """One line per finding, never wrapped or cut, whatever the terminal's width:
    ``FAIL  derivative  /full/path/clip.redacted.mp4: reason (signed by ...)``, so a pipe, a
    log file or ``grep clip.redacted.mp4`` sees each path whole. Colour only on a terminal."""
    from .evidence.verify import kind_name

    width = max((len(kind_name(f.kind)) for f in findings), default=0)
    for f in findings:
        result = typer.style(f"{f.status.upper():<4}", fg=RESULT_COLOURS.get(f.status), bold=True)
        signer = _(" (signed by {signer})").format(signer=one_line(f.signer)) if f.signer else ""
        typer.echo(f"{result}  {kind_name(f.kind):<{width}}  {one_line(f.path)}: {one_line(shown(f.detail))}{signer}")
    counts = {status: sum(f.status == status for f in findings) for status in RESULT_COLOURS}
    typer.echo(
        _("{n} checked: {ok} ok, {warn} warnings, {fail} failed").format(
            n=len(findings), ok=counts["ok"], warn=counts["warn"], fail=counts["fail"]
        )
    )


@app.command(help=N_("Write NAME.redaction-report.html for each derivative and log it as exported."))
def report(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH...", help=N_("Derivatives (NAME.redacted.mp4), their originals, or folders.")),
    ] = None,
    reviewer: Annotated[
        str, typer.Option(metavar="NAME", help=N_("Who reviewed the derivative (named in the report)."))
    ] = ...,
    case_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help=N_("Case folder where the derivatives of originals given are (alone: all of it).")
        ),
    ] = None,
) -> None:
    from .review.court import write_reports

    if not paths and case_dir is None:
        refuse(_("give derivatives or folders to report on, or --case-dir DIR"))
    written = write_reports(list(paths or []), reviewer, case_dir)
    for path in written:
        typer.echo(f"OK: {path}")


@app.command(help=N_("Write the frame a player shows at --at as PNG, to read --add-regions boxes off it."))
def snapshot(
    derivative: Annotated[Path, typer.Argument(metavar="FILE", help=N_("A derivative (NAME.redacted.mp4)."))],
    at: Annotated[str, typer.Option(metavar="TIME", help=N_("When, as a player counts: 12.5, 1:02.5 or 0:01:02.5."))],
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE.png", help=N_("PNG to write (default: NAME.redacted.at-SECONDSs.png beside it).")),
    ] = None,
    grid: Annotated[
        int, typer.Option(metavar="PX", help=N_("Draw a labelled pixel grid every PX pixels (0: none)."))
    ] = 0,
) -> None:
    from .review.snapshot import write_snapshot

    try:
        written = write_snapshot(derivative, parse_time(at), out, grid)
    except ValueError as exc:
        refuse(f"--at: {translated(exc)}")
    typer.echo(f"OK: {written}")


@app.command(help=N_("Measure redaction speed on this machine (the original is never touched: a copy is used)."))
def bench(
    file: Annotated[
        Path | None, typer.Argument(metavar="FILE", help=N_("Clip to measure (default: the bundled sample)."))
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            metavar="NAME[,NAME...]|all",
            help=N_("Presets to measure, each in turn (all: every preset in pipelines/), or a .toml file."),
        ),
    ] = "all",
    kinds: Annotated[
        str | None,
        typer.Option(
            metavar="KINDS", help=N_("What to detect: face, plate or face,plate."), show_default=from_preset("kinds")
        ),
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            metavar="N[,N...]",
            help=N_(
                "Detection processes, and decoder/encoder threads (default: every core; 0: detect in-process)."
                " A list (1,2,4,8) measures each count, to find this station's best."
            ),
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help=N_("Print the figures as JSON."))] = False,
    png: Annotated[
        Path | None,
        typer.Option(metavar="FILE.png", help=N_("Also write a bar chart of ms per frame (needs matplotlib).")),
    ] = None,
) -> None:
    from .bench import can_chart, chart, run_bench

    if png is not None and not can_chart():  # say so before minutes of measuring, not after
        refuse(_("--png needs matplotlib (pip install -e '.[bench]'); nothing measured"))
    kinds_given = comma_separated(kinds) if kinds is not None else None
    counts = parse_worker_counts(workers)
    names = sorted(available_presets()) if preset == "all" else comma_separated(preset)
    if not names:
        refuse(_("--preset names no preset (a name, a list a,b, or all)"))
    if len(names) > 1:
        if len(counts) > 1 or png is not None:
            refuse(_("--workers lists and --png measure one preset: name it with --preset"))
        runs = [options_or_exit(n, {"detect": {"kinds": kinds_given}}, quiet=True, workers=counts[0]) for n in names]
        print_presets([run_bench(file, options) for options in runs], json_out)
        return
    runs = [options_or_exit(names[0], {"detect": {"kinds": kinds_given}}, quiet=True, workers=n) for n in counts]
    results = [run_bench(file, options) for options in runs]
    result = max(results, key=lambda r: r["redact_fps"])  # the one charted by --png
    if len(results) > 1:
        print_worker_sweep(results, result, json_out)
    elif json_out:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(_("{cpu}, {cores} cores; clip {size}, {frames} frames").format(**result))
        typer.echo(_("preset {preset}, {workers} worker(s)").format(**result))
        typer.echo(_("pure transcode: {transcode_fps} fps; redact: {redact_fps} fps").format(**result))
        said = _(
            "real-time factor {realtime_factor}x; {ratio_to_transcode}x the transcode time;"
            " {hours_per_footage_hour} hours of processing per hour of footage"
        )
        typer.echo(said.format(**result))
        typer.echo(_("ms per frame: {stages}").format(stages=stage_list(result["ms_per_frame"])))
        said = _(
            "peak memory {peak_memory_mb} MB (whole process tree, shared pages counted once; {peak_rss_sum_mb} MB"
            " summing each process's resident memory)"
        )
        typer.echo(said.format(**result))
        print_render(result)
    if png is not None and not chart(result, png):
        refuse(_("matplotlib not installed (pip install -e '.[bench]'): no chart written"))


def print_render(result: dict) -> None:
    """The re-render from the analysis just made (one decision changed): a correction's cost."""
    analysed, detected = result["analysed_entries"], result["render_detected"]
    said = _(
        "re-render from the analysis (one decision changed, no model): {render_fps} fps;"
        " {render_ratio_to_transcode}x the time of a transcode timed after it ({render_cpu_ratio_to_transcode}x its"
        " CPU time)"
    )
    typer.echo(said.format(**result))
    if analysed == 1 and not detected:
        typer.echo(
            _("detection ran once: analysed {n} time(s) in the custody log, no detect stage in the render").format(
                n=analysed
            )
        )
    elif detected:
        typer.echo(
            _("detection ran again: analysed {n} time(s) in the custody log, a detect stage in the render").format(
                n=analysed
            )
        )
    else:
        typer.echo(
            _("detection ran again: analysed {n} time(s) in the custody log, no detect stage in the render").format(
                n=analysed
            )
        )
    typer.echo(_("render ms per frame: {stages}").format(stages=stage_list(result["render_ms_per_frame"])))


def stage_list(ms: dict) -> str:
    """``decode 3.1, detect 40.2, ...``: milliseconds per frame by stage."""
    return ", ".join(f"{k} {v}" for k, v in ms.items())


def table_row(cells, widths: list[int], first_left: bool = False) -> str:
    """A line of a plain table: each heading or value right-aligned to its column's width (the
    first left-aligned with ``first_left``), two spaces between columns."""
    texts = [str(cell) for cell in cells]
    first = f"{texts[0]:<{widths[0]}}" if first_left else f"{texts[0]:>{widths[0]}}"
    return first + "".join(f"  {text:>{width}}" for text, width in zip(texts[1:], widths[1:], strict=True))


def parse_worker_counts(text: str | None) -> list[int | None]:
    """``--workers`` of ``redact bench``: one count, a comma list, or None (every core)."""
    if text is None:
        return [None]
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts:
        refuse(_("--workers takes a number or a list such as 1,2,4 (got {text!r})").format(text=text))
    return counts


def print_presets(results: list[dict], json_out: bool) -> None:
    """One line per preset: what an hour of this kind of footage costs this station with each."""
    if json_out:
        typer.echo(json.dumps({"presets": results}, indent=2))
        return
    first = results[0]
    from .detect.runtime import device_names

    ran_on = device_names(first["providers"])
    typer.echo(_("{cpu}, {cores} cores, models on {ran_on}").format(**first, ran_on=ran_on))
    typer.echo(_("clip {clip}: {size}, {frames} frames at {input_fps} fps").format(**first))
    heads = [_("preset"), _("redact fps"), _("real time"), _("hours per hour of footage"), _("peak MB")]
    widths = [max(12, len(heads[0])), max(10, len(heads[1])), max(9, len(heads[2])), len(heads[3]), len(heads[4])]
    typer.echo(table_row(heads, widths, first_left=True))
    for r in results:
        values = [Path(r["preset"]).stem, r["redact_fps"], f"{r['realtime_factor']}x", r["hours_per_footage_hour"]]
        typer.echo(table_row([*values, f"{r['peak_memory_mb']:.0f}"], widths, first_left=True))


def print_worker_sweep(results: list[dict], best: dict, json_out: bool) -> None:
    """One line per worker count, and the fastest (``best``), for IT staff sizing a station."""
    if json_out:
        typer.echo(json.dumps({"runs": results, "best_workers": best["workers"]}, indent=2))
        return
    first = results[0]
    typer.echo(_("{cpu}, {cores} cores; clip {size}, {frames} frames").format(**first))
    typer.echo(_("preset {preset}; pure transcode: {transcode_fps} fps").format(**first))
    heads = [_("workers"), _("redact fps"), _("real time"), _("x transcode")]
    heads += [_("peak MB"), _("render fps"), _("render x transcode")]
    widths = [max(len(h), w) for h, w in zip(heads, (7, 10, 9, 11, 7, 10, 18), strict=True)]
    typer.echo(table_row(heads, widths))
    for r in results:
        values = [r["workers"], r["redact_fps"], f"{r['realtime_factor']}x", f"{r['ratio_to_transcode']}x"]
        values += [f"{r['peak_memory_mb']:.0f}", r["render_fps"], f"{r['render_ratio_to_transcode']}x"]
        typer.echo(table_row(values, widths))
    typer.echo(_("fastest: {workers} worker(s), {redact_fps} fps").format(**best))


@app.command(
    help=N_("Redact every clip of a folder or manifest; rerun to resume. Writes batch-report.json/.html beside it.")
)
def batch(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="FOLDER|MANIFEST",
            help=N_("Folder of clips (searched recursively) or a CSV / JSON-lines manifest."),
        ),
    ],
    preset: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help=N_("Preset for clips whose manifest row names none."), show_default=DEFAULT_PRESET
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(metavar="N", help=N_("Detection workers per clip (default: cores / parallel)."))
    ] = None,
    parallel: Annotated[
        int, typer.Option(min=1, metavar="N", help=N_("Clips at a time on this machine (Dask LocalCluster)."))
    ] = 1,
    cluster: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help=N_("Dask scheduler address, e.g. tls://host:8786."))
    ] = None,
    cluster_certs: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help=N_("Folder made by `redact cluster-certs`: this PC's member certificate.")),
    ] = None,
    insecure_cluster: Annotated[
        bool,
        typer.Option(
            "--insecure-cluster",
            help=N_("Allow a plain tcp:// scheduler on another PC (anyone reaching it can run code)."),
        ),
    ] = False,
    mute: Annotated[bool, typer.Option("--mute", help=N_("Leave audio out of every derivative."))] = False,
    operator: Annotated[
        str | None, typer.Option(metavar="NAME", help=N_("Name recorded in seals and logs (default: OS user)."))
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=N_("No progress bar."))] = False,
    stall_timeout: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help=N_(
                "Stop and fail a clip that writes no frame and reads or writes no data for this many seconds"
                " (a hung decoder or storage); 0: wait forever."
            ),
        ),
    ] = STALL_S,
    case_dir: Annotated[Path | None, typer.Option(metavar="DIR", help=CASE_DIR_AND_STATE_HELP)] = None,
    bleep_patterns: Annotated[
        str | None,
        typer.Option(
            metavar="PATTERNS",
            help=N_(
                "Bleep spoken numbers, dates, e-mail addresses in every clip whose row names none (redact\\[speech])."
            ),
        ),
    ] = None,
    language: LanguageFlag = AUTO,
) -> None:
    from .batch import BatchSettings, run_batch

    if preset is not None:
        options_or_exit(preset, {})  # an unknown preset fails before anything starts
    settings = BatchSettings(
        preset=preset,
        workers=workers,
        parallel=parallel,
        cluster=cluster,
        cluster_certs=cluster_certs,
        insecure_cluster=insecure_cluster,
        operator=operator,
        mute=mute,
        quiet=quiet,
        stall_timeout=stall_timeout,
        case_dir=case_dir,
        bleep_patterns=spoken_flags(None, bleep_patterns, None).get("bleep_patterns", ()),
        language=parsed("--language", check_language, language),
    )
    if settings.bleep_patterns:
        from .speech.model import require_speech

        require_speech()  # before any clip is sealed
    try:
        with sigterm_as_interrupt():  # a service manager's stop ends the clip in flight as Ctrl-C does
            result = run_batch(source, settings)
    except Terminated:
        typer.echo(_("redact: batch terminated (SIGTERM): rerun the same command to resume"), err=True)
        raise typer.Exit(Terminated.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(_("redact: batch interrupted: rerun the same command to resume"), err=True)
        raise typer.Exit(130) from None
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=_("redact batch: {source}").format(source=source))
    columns = (_("clips"), _("already done"), _("redacted now"), _("of which re-rendered only"), _("failed"))
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(str(result.total), str(result.skipped), str(result.done), str(result.reused), str(result.failed))
    console = Console(stderr=True)
    console.print(table)
    failed = _("FAILED")
    for _clip, error in result.failures:
        console.print(f"[red]{failed}[/] {escape(str(error))}", highlight=False)
    typer.echo(_("state: {file}").format(file=result.state))
    for report in result.reports:
        typer.echo(_("report: {file}").format(file=report))
    raise typer.Exit(result.exit_code)


@app.command(
    "cluster-certs",
    help=N_("Make a cluster CA and a member certificate for batches across station PCs (Dask over TLS)."),
)
def cluster_certs_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help=N_("Empty folder for the certificates and keys."))],
) -> None:
    from .batch.cluster_tls import CA_KEY, make_certificates

    paths = make_certificates(folder)
    for path in paths.values():
        typer.echo(str(path))
    said = _(
        "Copy all but {ca_key} to every station PC of the cluster (keep the member key readable by the batch's user"
        " only), then keep {ca_key} offline: it can admit new members."
    )
    typer.echo(said.format(ca_key=CA_KEY), err=True)


@app.command(help=N_("List the pipeline presets (pipelines/*.toml) with what each one trades."))
def presets() -> None:
    from .presets import available, describe

    for name, path in available().items():
        default = _(" (default)") if name == DEFAULT_PRESET else ""
        typer.echo(f"{name}{default}: {describe(name)}\n    {path}")


def language_asked(args: list[str]) -> str | None:
    """The value of ``--lang`` among the root options, read before click parses them."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):
            return None  # the command: its own options are not the root's
    return None


def main() -> None:
    """The CLI's one edge: a ``RedactError`` from any command is one line and its exit code
    (commands over many clips report each failing clip themselves and go on)."""
    from . import i18n
    from .i18n.click_text import speak

    with contextlib.suppress(ValueError):  # an unknown --lang is reported by the root callback
        i18n.set_language(language_asked(sys.argv[1:]))
    command = typer.main.get_command(app)
    speak(command)  # --help in the interface language: it is printed before any callback runs
    try:
        command()
    except RedactError as error:
        fail(error)
        sys.exit(error.exit_code)
