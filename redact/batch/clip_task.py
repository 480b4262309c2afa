"""One clip of a batch, exactly as ``redact run`` does it; runs locally or on a Dask worker.

``run_job`` never raises for a bad clip: it returns an outcome saying what happened, so one
corrupt file cannot stop a batch. Only a Ctrl-C (or the worker being killed) interrupts it.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from .. import __version__
from ..errors import RedactError, translated
from ..evidence.atomic import sweep_partials
from ..evidence.custody import read_chain
from ..evidence.hashing import hash_file
from ..evidence.layout import Layout
from ..evidence.log_reader import LogReader
from ..evidence.seal import load_seal
from ..evidence.trust import station_trust
from ..evidence.verify import read_log, verify_derivative
from ..i18n import _
from ..media.decode import not_carried_note
from ..options import RedactOptions
from ..pipeline import redact_file
from ..pipeline.subject_list import counts_line
from ..pipeline.transcribe import bleeped_ranges
from ..presets import DEFAULT_PRESET, options_from_preset
from ..review.decisions import Decisions, from_document, from_flags
from ..speech.transcript_file import read_transcript
from ..speech.withhold import MARGIN_S
from .source import Job


def job_options(job: Job, defaults: dict) -> RedactOptions:
    """The options a job runs with: its preset (or the batch's), its request, the batch's run settings."""
    overrides = {"detect": {"kinds": job.kinds}} if job.kinds else {}
    return options_from_preset(
        job.preset or defaults.get("preset") or DEFAULT_PRESET,
        overrides,
        quiet=True,
        force=True,  # a clip is redone only when its derivative does not verify (see runner)
        operator=defaults.get("operator"),
        workers=defaults.get("workers"),
        mute=bool(defaults.get("mute")),
        keep_tracks=job.keep_tracks,
        reason=job.reason,
        mute_ranges=job.mute_ranges,
        add_regions=job.add_regions,
        audio_redaction=job.audio_redaction or "mute",
        bleep_words=job.bleep_words,
        bleep_patterns=job.bleep_patterns,
        language=job.language or defaults.get("language") or "auto",
    )


def layout_of(job: Job) -> Layout:
    return Layout(job.path, job.case_dir, job.output)


def outputs_of(job: Job) -> tuple[Path, Path]:
    layout = layout_of(job)
    return layout.derivative, layout.log


def remove_stale_temporaries(job: Job) -> list[Path]:
    """Hidden temporary files left by an attempt that was killed (they never became outputs),
    as every run sweeps them: a live run's, here or on another station PC, are left alone."""
    derivative, _log = outputs_of(job)
    return sweep_partials(derivative)


def verified_result(job: Job, parameters: dict) -> dict | None:
    """The outcome of an earlier run whose derivative still verifies with these parameters."""
    derivative, log_file = outputs_of(job)
    if not (derivative.is_file() and log_file.is_file()):
        return None
    try:
        read = read_log(log_file)  # constant memory, however long the clip; read once for both uses
    except (OSError, ValueError):
        return None
    log = read[0]
    if json.dumps(log.get("parameters"), sort_keys=True) != json.dumps(parameters, sort_keys=True):
        return None
    if not same_decisions(job, log):
        return None
    trust = station_trust().for_folder(log_file.parent)
    finding = verify_derivative(log_file, read_chain(log_file.parent, trust), trust, read)
    if finding.status == "fail":
        return None
    return outcome_from_log(log, derivative, log_file)


def same_decisions(job: Job, log: dict) -> bool:
    """Whether ``log`` was rendered with the decisions this job asks for: the same decisions
    file, byte for byte, and the same whole pictures (what the parameters do not record)."""
    if "decisions" not in log:  # a log from before decisions: the parameters said it all
        return job.decisions is None and not job.picture_ranges
    margin = (log.get("parameters") or {}).get("bleep_margin", MARGIN_S)
    wanted = expected_decisions(job, margin)
    return wanted is not None and json.dumps(comparable(log["decisions"]), sort_keys=True) == json.dumps(
        wanted, sort_keys=True
    )


def expected_decisions(job: Job, margin: float | None = None) -> dict | None:
    """The log's ``decisions`` member a render of ``job`` writes (as ``comparable`` gives it),
    or None when its decisions file or transcript cannot be read now (the clip is then redone,
    and says why). ``margin``: the bleep margin it rendered with."""
    chosen, source = Decisions(), None
    if job.decisions is not None:
        try:
            chosen = from_document(json.loads(job.decisions.read_text(encoding="utf-8")))
            source = hash_file(job.decisions)
        except (OSError, ValueError, AttributeError):
            return None
    flags = from_flags(
        job.keep_tracks,
        job.add_regions,
        job.mute_ranges,
        job.audio_redaction or "mute",
        job.picture_ranges,
        reason=job.reason,
    )
    if job.bleep_words or job.bleep_patterns:
        spoken = spoken_from_transcript(job, margin)
        if spoken is None:
            return None
        flags = flags.plus(Decisions(audio=spoken))
    member = chosen.plus(flags).as_log()
    if source is not None:
        member["source"] = {"sha256": source}
    return comparable(json.loads(json.dumps(member)))


def spoken_from_transcript(job: Job, margin: float | None):
    """The bleeped ranges ``job``'s words and patterns give from the clip's transcript, or None
    when it has none that is intact and of the sealed original."""
    layout = layout_of(job)
    try:
        seal = load_seal(layout.original, layout)
        transcript = read_transcript(layout.transcript, layout.original, seal.sha256) if seal else None
    except (OSError, ValueError, RedactError):
        return None
    if transcript is None:
        return None
    return bleeped_ranges(transcript, job.bleep_words, job.bleep_patterns, margin)


def comparable(member: dict) -> dict:
    """A log's ``decisions`` member without who decided and when (the operator of a rerun, or
    of another cluster PC, may differ; the decisions file's hash covers its own)."""
    drop = ("reviewer", "updated_at")
    out = {k: v for k, v in member.items() if k not in (*drop, "source", "keep_tracks")}
    out["keep_tracks"] = [{k: v for k, v in kept.items() if k not in drop} for kept in member.get("keep_tracks", [])]
    if isinstance(member.get("source"), dict):
        out["source"] = member["source"].get("sha256")
    return out


def outcome_from_log(log: dict, derivative: Path, log_file: Path) -> dict:
    """A 'done' outcome as the batch state records it, from a clip's redaction log."""
    return {
        "status": "done",
        "original_sha256": log["original"]["sha256"],
        "derivative": str(derivative),
        "derivative_sha256": log["derivative"]["sha256"],
        "log": str(log_file),
        "frames": log["derivative"]["frames"],
        "regions": log["regions"]["total"],
        "seconds": log["timings_s"].get("total"),
        "found": counts_line(log.get("subjects")) or None,  # the people, plates and uncertain regions to review
    }


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def input_note(result) -> str | None:
    """What a done clip's row should still say about its input (shown in the batch report)."""
    notes = [_("input ended early")] if result.stopped_early else []
    if result.damaged_packets:
        notes.append(_("{n} damaged video packets skipped").format(n=result.damaged_packets))
    if result.dropped_streams:  # subtitles, data streams: left out of the derivative, and said so
        notes.append(translated(not_carried_note(result.dropped_streams)))
    if result.listed_without_picture:
        notes.append(
            _("{n} listed frames held no picture (skipped by the camera)").format(n=result.listed_without_picture)
        )
    notes += [_("WARNING: {warning}").format(warning=translated(warning)) for warning in result.warnings]
    return _("{notes}; see log").format(notes="; ".join(notes)) if notes else None


def run_job(job_data: dict, defaults: dict, progress=None) -> dict:
    """Redact one clip; the outcome is a dict (status 'done' or 'failed', hashes, timings, error)."""
    outcome: dict = {"status": "failed", "worker": worker_name()}
    try:
        job = Job.from_dict(job_data)
    except Exception as error:  # a state row this release cannot read: fail the clip, not the batch
        outcome.update(error=internal_error(job_data.get("path"), error), exit_code=1)
        return outcome
    wanted = defaults.get("version")
    if wanted and wanted != __version__:  # a cluster PC with another release would redact differently
        said = _("{path}: this worker runs redact {version}, the batch {wanted}")
        outcome.update(error=said.format(path=job.path, version=__version__, wanted=wanted), exit_code=1)
        return outcome
    try:
        options = job_options(job, defaults)
        remove_stale_temporaries(job)
        result = redact_file(
            job.path,
            options,
            output_dir=job.output,
            progress=progress,
            case_dir=job.case_dir,
            decisions=job.decisions,
            picture_ranges=job.picture_ranges,
        )
        outcome.update(
            outcome_from_log(LogReader(result.log, digest=False).head, result.derivative, result.log),
            seconds=round(result.seconds, 3),
            error=input_note(result),
            analysis_reused=result.analysis_reused,  # rendered from the earlier analysis: no detection ran
        )
    except RedactError as error:
        outcome.update(error=error.describe(), exit_code=error.exit_code)
    except ValueError as error:  # an option out of range
        outcome.update(error=f"{job.path}: {translated(error)}", exit_code=2)
    except Exception as error:
        outcome.update(error=internal_error(job.path, error), exit_code=1)
    return outcome


def internal_error(path, error: Exception) -> str:
    """A clip's unexpected failure, for its row: the batch goes on."""
    return _("{path}: internal error: {error}").format(path=path, error=f"{type(error).__name__}: {error}")
