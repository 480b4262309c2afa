"""The library's entry points: ``analyze_file``, ``render_file`` and ``redact_file`` (both).

prepare (checks, seal, probe) → analyze (decode → detect → track) → decisions → render
(decode → mask → encode) → publish (log, content credentials, atomic rename, custody).
``redact_file`` renders with the decisions its options give and reuses an earlier analysis
made with the same detection settings from the same sealed bytes, so a corrected run costs a
transcode; its derivative is byte for byte what ``analyze_file`` then ``render_file`` give.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..errors import BadInputError, EncodeError, OutputExistsError
from ..evidence.atomic import sweep_partials, temp_path_for
from ..evidence.layout import Layout
from ..evidence.redaction_log import RegionLog
from ..evidence.seal import utc_iso
from ..evidence.trust import Trust
from ..i18n import N_
from ..options import RedactOptions, as_recorded
from ..review.decisions import Decisions, from_flags, load_decisions, save_decisions
from ..speech.model import require_speech
from .analysis_file import Analysis, read_analysis
from .analyze import AnalysisResult, analyze_clip
from .frames import Timer
from .prepare import Prepared, check_kept_tracks, check_request, clip_layout, listed_ids, prepare
from .publish import RedactResult, output_refused, publish
from .render import analysed_options, render_frames
from .transcribe import spoken_decisions


def _refuse_existing(layout: Layout, options: RedactOptions) -> None:
    if not options.force and (layout.derivative.exists() or layout.log.exists()):
        raise OutputExistsError(
            N_("{name} already exists"),
            layout.original,
            hint=N_("use --force to replace it"),
            name=layout.derivative.name,
        )


def analyze_file(
    path: str | os.PathLike,
    options: RedactOptions | None = None,
    case_dir: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
) -> AnalysisResult:
    """Seal (or verify) the original and write ``NAME.ext.analysis.json`` beside its seal."""
    options = options or RedactOptions()
    layout = clip_layout(path, case_dir, None)
    if layout.analysis.exists() and not options.force:
        raise OutputExistsError(
            N_("{name} already exists"),
            layout.original,
            hint=N_("use --force to analyse again"),
            name=layout.analysis.name,
        )
    timer = Timer()
    prepared = prepare(layout, options, timer)
    return analyze_clip(prepared, options, timer, progress)


def reusable_analysis(prepared: Prepared, options: RedactOptions) -> Analysis | None:
    """The earlier analysis, when it is intact, of these sealed bytes and made with these
    detection and tracking settings (then its tracks are the ones detection would find again).
    One altered, unsigned where signatures are required or put back from before is refused
    (exit 3), not silently analysed over: someone changed the records, and a person must know."""
    path = prepared.layout.analysis
    if not path.exists():
        return None
    try:
        analysis = read_analysis(path, prepared.layout.original, prepared.seal.sha256, prepared.trust)
    except BadInputError:  # unreadable, or of other bytes: analyse again. Altered or untrusted: refused
        return None
    now = json.loads(json.dumps({k: v for k, v in options.as_log().items() if k in ("detect", "track")}))
    if any(analysis.parameters.get(section) is None for section in now):
        return None
    recorded = {section: as_recorded(section, analysis.parameters[section]) for section in now}
    return analysis if recorded == now else None


def redact_file(
    path: str | os.PathLike,
    options: RedactOptions | None = None,
    output_dir: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
    case_dir: str | os.PathLike | None = None,
    decisions: str | os.PathLike | None = None,
    picture_ranges: tuple[tuple[float, float], ...] = (),
) -> RedactResult:
    """Redact one video file beside itself, or into ``case_dir`` (seal, custody log, analysis
    and outputs, the original's folder only read) and ``output_dir`` (derivative and log).
    ``decisions`` (a decisions file for the clip's current analysis) and ``picture_ranges``
    (whole pictures blacked out) are applied with what the options request.

    Raises ``RedactError`` subclasses on user errors. ``progress`` is called with the number
    of frames done since its last call (for batch progress bars).
    """
    options = options or RedactOptions()
    started = time.perf_counter()
    layout = clip_layout(path, case_dir, output_dir)
    _refuse_existing(layout, options)
    # the ids were read off the earlier log or report, else off the analysis (its review page)
    earlier = layout.analysis if layout.analysis.exists() and not layout.earlier_log.exists() else layout.earlier_log
    check_kept_tracks(options.keep_tracks, earlier, options, layout.original)
    if options.spoken and not layout.transcript.exists():
        require_speech()  # it will be transcribed: say how to install that before anything is done
    timer = Timer()
    frames = tuple(picture_ranges)
    prepared = prepare(layout, options, timer, check=lambda info: check_request(options, info, layout.original, frames))
    analysis = reusable_analysis(prepared, options)
    reused = analysis is not None
    if analysis is None:
        made = analyze_clip(prepared, options, timer, progress)
        analysis = read_analysis(made.path, layout.original, prepared.seal.sha256, prepared.trust)
        progress = heartbeat(progress)  # frames counted once (in the analysis); the render keeps it alive
    applied = chosen_decisions(prepared, analysis, decisions, options, frames, default=False)
    applied = applied.plus(spoken_decisions(prepared, options, transcribe_missing=True))
    result = _render(prepared, options, analysis, applied, started, progress, timer)
    return replace(result, analysis_reused=True) if reused else result


def render_file(
    path: str | os.PathLike,
    options: RedactOptions | None = None,
    decisions: str | os.PathLike | None = None,
    picture_ranges: tuple[tuple[float, float], ...] = (),
    output_dir: str | os.PathLike | None = None,
    case_dir: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
    save: bool = False,
) -> RedactResult:
    """Render the derivative from the clip's analysis: no model is loaded. Applies the
    decisions file (``decisions``, else ``NAME.ext.decisions.json`` when there is one) and, on
    top, the options' keep_tracks, add_regions and mute_ranges and ``picture_ranges``. With
    ``save``, what was applied is saved first as the clip's decisions file (signed, custody
    "reviewed"), so the next render and the review page start from it."""
    options = options or RedactOptions()
    started = time.perf_counter()
    layout = clip_layout(path, case_dir, output_dir)
    _refuse_existing(layout, options)
    original = layout.original
    if not layout.analysis.exists():  # before sealing or anything: nothing to render from
        raise BadInputError(
            N_("no analysis {name}"), original, hint=N_("run `redact analyze` on it first"), name=layout.analysis.name
        )
    timer = Timer()
    frames = tuple(picture_ranges)
    prepared = prepare(layout, options, timer, check=lambda info: check_request(options, info, original, frames))
    analysis = read_analysis(layout.analysis, original, prepared.seal.sha256, prepared.trust)
    applied = chosen_decisions(prepared, analysis, decisions, options, frames, default=True)
    spoken = spoken_decisions(prepared, options, transcribe_missing=False)  # before anything is saved
    if save:  # without the spoken ranges: the flags give them again (a second render would double them)
        sha = save_decisions(
            layout.decisions, applied, analysis.path, analysis.sha256, layout.records, prepared.key, prepared.operator
        )
        applied = replace(applied, source={"file": layout.decisions.name, "sha256": sha})
    applied = applied.plus(spoken)
    return _render(prepared, analysed_options(options, analysis), analysis, applied, started, progress, timer)


def chosen_decisions(
    prepared: Prepared, analysis: Analysis, decisions, options: RedactOptions, frames, default: bool
) -> Decisions:
    """The decisions file given (or, with ``default``, the clip's own when there is one), with
    what the options request on top; refused when a range in the file cannot apply to the clip."""
    layout, operator = prepared.layout, prepared.operator
    source = Path(decisions).absolute() if decisions is not None else layout.decisions
    use = decisions is not None or (default and source.exists())
    # the clip's own decisions file is a record, held to the station's policy; a file named on the
    # command line or in a manifest is a request, like flags: validated, its SHA-256 logged
    record = source.resolve() == layout.decisions.resolve()  # however it is named: ../case/x, a link
    trust = prepared.trust if record else Trust()
    source = layout.decisions if record else source  # judged by the custody log of the records, by its name
    chosen = load_decisions(source, analysis.sha256, layout.original, trust, record) if use else Decisions()
    problem = chosen.outside(prepared.info.duration_s)
    if problem:
        raise BadInputError(
            N_("decisions {name}: {problem}"),
            layout.original,
            hint=N_("review the clip again"),
            name=source.name,
            problem=problem,
        )
    flags = from_flags(
        options.keep_tracks,
        options.add_regions,
        options.mute_ranges,
        options.audio_redaction,
        frames,
        operator,
        options.reason,
    )
    applied = chosen.plus(flags)
    if applied.kept_ids:  # ids only mean something in the analysis that numbered them
        known = analysis.track_ids()
        missing = [t for t in applied.kept_ids if t not in known]
        if missing:
            ids = " ".join(map(str, missing))
            raise BadInputError(
                N_("track ids to keep ({missing}) are not in {name} ({listed})"),
                layout.original,
                hint=N_("take the ids from that analysis, its review page, log or court report"),
                missing=ids,
                name=analysis.path.name,
                listed=listed_ids(known),
            )
    return applied


def _render(
    prepared: Prepared,
    options: RedactOptions,
    analysis: Analysis,
    decisions: Decisions,
    started: float,
    progress: Callable[[int], None] | None,
    timer: Timer,
) -> RedactResult:
    """Render and publish; outputs appear whole or not at all. ``timer`` holds what this run
    spent before (sealing, probing, an analysis made now): the log's timings are the run's."""
    layout, original = prepared.layout, prepared.layout.original
    out_dir, out, log_out = layout.outputs, layout.derivative, layout.log
    started_at = utc_iso()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)  # only now: a refused run leaves no empty folder
        sweep_partials(out)  # what a killed render left: the derivative's, its log's and their spools
        regions = RegionLog(beside=out)
    except OSError as error:  # a full or unwritable output folder: not even the log's spool starts
        refused = output_refused(error, original, out_dir)
        if refused is None:
            raise
        raise refused from error
    tmp_video, tmp_log = temp_path_for(out), temp_path_for(log_out)
    writers: list = []
    threads = options.worker_count if options.workers is not None else 0  # decoder; 0: FFmpeg decides
    try:
        rendered = render_frames(
            original, prepared.info, options, decisions, analysis, tmp_video, timer, regions, threads, progress, writers
        )
        return publish(
            prepared,
            options,
            analysis,
            decisions,
            rendered,
            regions,
            tmp_video,
            tmp_log,
            timer,
            started,
            started_at,
            threads,
        )
    except (EncodeError, OSError) as error:
        for writer in writers:
            writer.abort()
        refused = output_refused(error, original, out_dir)
        if refused is not None:  # disk full, quota, read-only: whichever write met it first
            raise refused from error
        if isinstance(error, EncodeError):  # name the original, not the hidden temporary file
            raise EncodeError(error.template, original, error.hint_template, **error.params) from error
        raise
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    finally:
        for tmp in (tmp_video, tmp_log):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        regions.close()


def heartbeat(progress: Callable[[int], None] | None) -> Callable[[int], None] | None:
    """``progress`` told of activity without more frames (the batch's watchdog and bar)."""
    if progress is None:
        return None
    return lambda n: progress(0)
