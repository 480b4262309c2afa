"""The ``redact`` command line: gathers settings, calls the library, maps errors to exit codes."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .errors import RedactError
from .operator_regions import parse_regions
from .options import STALL_S, STYLES, X264_PRESETS, DetectOptions, RedactOptions
from .presets import DEFAULT_PRESET
from .request_fields import parse_ranges, parse_time, parse_tracks

D = DetectOptions()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Offline redaction of faces and plates in evidence video, with sealed originals.",
)
DEBUG = bool(os.environ.get("REDACT_DEBUG"))


def fail(error: RedactError) -> None:
    typer.echo(f"redact: error: {error.describe()}", err=True)


def crash(path: object, error: Exception) -> int:
    """An unexpected failure: one line for the user, the traceback only with REDACT_DEBUG=1."""
    typer.echo(
        f"redact: internal error: {path}: {type(error).__name__}: {error} "
        "(nothing was written; set REDACT_DEBUG=1 for a traceback and report it)",
        err=True,
    )
    if DEBUG:
        traceback.print_exc()
    return 1


def parse_kinds(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"redact {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True)] = False,
) -> None:
    """Seal originals, redact faces, write NAME.redacted.mp4 and its log beside them."""


def options_or_exit(preset: str, overrides: dict, **run) -> RedactOptions:
    """Options from a preset plus the flags given; a bad value exits 2 with one line."""
    from .presets import options_from_preset

    cleaned = {section: {k: v for k, v in values.items() if v is not None} for section, values in overrides.items()}
    try:
        return options_from_preset(preset, cleaned, **run)
    except ValueError as exc:
        typer.echo(f"redact: error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except RedactError as error:
        if preset in X264_PRESETS:
            error.hint = f"{preset!r} is an x264 preset: use --x264-preset {preset}"
        fail(error)
        raise typer.Exit(error.exit_code) from None


PRESET_HELP = "Pipeline preset from pipelines/ (court-copy, disclosure, fast) or a .toml file; flags override it."
WORKERS_HELP = "Detection processes, and decoder/encoder threads (default: every core; 0: detect in-process)."


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Original video files (never modified).")],
    preset: Annotated[str, typer.Option(help=PRESET_HELP)] = DEFAULT_PRESET,
    kinds: Annotated[str | None, typer.Option(help="What to redact: face, plate or face,plate.")] = None,
    style: Annotated[str | None, typer.Option(help=f"How regions are obscured: {', '.join(STYLES)}.")] = None,
    shape: Annotated[str | None, typer.Option(help="Mask shape: box or ellipse.")] = None,
    margin: Annotated[float | None, typer.Option(help="Grow each box by this fraction of its size per side.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Face detector score threshold (lower finds more).")] = None,
    detect_every: Annotated[int | None, typer.Option(help="Detect on every N-th frame; tracks fill the rest.")] = None,
    face_size: Annotated[int | None, typer.Option(help="Longest side of the image the face model sees.")] = None,
    plate_size: Annotated[int | None, typer.Option(help="Longest side of the image the plate model sees.")] = None,
    keep_lost: Annotated[int | None, typer.Option(help="Frames a lost face stays masked along its motion.")] = None,
    crf: Annotated[int | None, typer.Option(help="x264 constant rate factor (lower is better quality).")] = None,
    x264_preset: Annotated[str | None, typer.Option(help="x264 speed preset (ultrafast ... veryslow).")] = None,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP)] = None,
    mute: Annotated[bool, typer.Option(help="Leave audio out of the derivative.")] = False,
    mute_ranges: Annotated[
        str | None,
        typer.Option(help='Silence these stretches of audio, seconds from the clip\'s start: "12-20; 1:02-1:10.5".'),
    ] = None,
    keep_tracks: Annotated[
        str | None, typer.Option(help='Leave these tracks (ids from an earlier log or report) visible: "3 7".')
    ] = None,
    add_regions: Annotated[
        str | None,
        typer.Option(
            help="Also mask what review found, pixels as shown: "
            '"12-15.5@640,200,760,340" (still) or "12@640,200,760,340 ~ 15@700,210,820,350" (moving); ";" between.'
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing derivative and log.")] = False,
    operator: Annotated[str | None, typer.Option(help="Name recorded in seal and log (default: OS user).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; one line per file.")] = False,
) -> None:
    """Redact each INPUT into INPUT-stem.redacted.mp4 (+ .redacted.json) beside it."""
    from .pipeline import redact_file

    overrides = {
        "detect": {
            "kinds": parse_kinds(kinds) if kinds is not None else None,
            "threshold": threshold,
            "margin": margin,
            "every": detect_every,
            "face_size": face_size,
            "plate_size": plate_size,
        },
        "track": {"coast": keep_lost},
        "mask": {"style": style, "shape": shape},
        "encode": {"crf": crf, "preset": x264_preset},
    }
    request = {}
    for flag, name, parse, value in (
        ("--mute-ranges", "mute_ranges", parse_ranges, mute_ranges),
        ("--keep-tracks", "keep_tracks", parse_tracks, keep_tracks),
        ("--add-regions", "add_regions", parse_regions, add_regions),
    ):
        try:
            request[name] = parse(value)
        except ValueError as exc:
            typer.echo(f"redact: error: {flag}: {exc}", err=True)
            raise typer.Exit(2) from exc
    options = options_or_exit(
        preset, overrides, mute=mute, force=force, operator=operator, quiet=quiet, workers=workers, **request
    )
    from . import keys

    try:
        signed = keys.load() is not None
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    if not signed:
        typer.echo(
            "note: no station key: seals, logs and custody entries are unsigned (run `redact keys init`)", err=True
        )
    worst = 0
    for path in inputs:
        try:
            result = redact_file(path, options)
        except RedactError as error:
            fail(error)
            worst = max(worst, error.exit_code)
            continue
        except KeyboardInterrupt:
            typer.echo(f"redact: interrupted: {path} (no partial output left)", err=True)
            raise typer.Exit(130) from None
        except Exception as error:
            worst = max(worst, crash(path, error))
            continue
        note = " (input ended early; see log)" if result.stopped_early else ""
        if result.damaged_packets:
            note += f" ({result.damaged_packets} damaged video packets could not be decoded and were skipped; see log)"
        if not result.audio_as_is:  # re-encoded or packets dropped: say how, not only in the log
            note += f" (audio: {result.audio})"
        if result.rescaled_frames:
            note += f" ({result.rescaled_frames} frames changed size mid-stream and were scaled; see log)"
        typer.echo(
            f"OK: {result.derivative} ({result.frames} frames, {result.regions} regions, {result.seconds:.1f} s){note}"
        )
    raise typer.Exit(worst)


@app.command()
def detect(
    paths: Annotated[list[str], typer.Argument(help="Images, or videos (every N-th frame with --every).")],
    format: Annotated[str, typer.Option("--format", help="Output format: jsonl.")] = "jsonl",
    every: Annotated[int, typer.Option(min=1, help="For videos: detect on every N-th frame.")] = 1,
    kinds: Annotated[str, typer.Option(help="What to detect: face, plate or face,plate.")] = ",".join(D.kinds),
    threshold: Annotated[float, typer.Option(help="Face detector score threshold.")] = D.threshold,
    margin: Annotated[float, typer.Option(help="Region margin, as in `redact run`.")] = D.margin,
) -> None:
    """Print one JSON line per image (or video frame) with boxes, mask regions and scores."""
    from .detect.factory import build_detectors
    from .detect_images import detect_path

    if format != "jsonl":
        typer.echo("redact: error: only --format jsonl is supported", err=True)
        raise typer.Exit(2)
    try:
        options = DetectOptions(kinds=parse_kinds(kinds), threshold=threshold, margin=margin, every=every)
    except ValueError as exc:
        typer.echo(f"redact: error: {exc}", err=True)
        raise typer.Exit(2) from exc
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


keys_app = typer.Typer(no_args_is_help=True, help="The station's signing key.")
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def keys_init(
    passphrase: Annotated[bool, typer.Option(help="Protect the private key with a passphrase (prompted).")] = False,
    force: Annotated[bool, typer.Option(help="Replace an existing key (old signatures stay valid).")] = False,
) -> None:
    """Create the station's Ed25519 key pair in $REDACT_KEY_DIR (default ~/.config/redact/keys)."""
    from . import keys

    secret = typer.prompt("Passphrase", hide_input=True, confirmation_prompt=True).encode() if passphrase else None
    try:
        key = keys.create(passphrase=secret, force=force)
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    typer.echo(f"station key created in {keys.key_dir()}")
    typer.echo(f"fingerprint: {key.fingerprint}")


@keys_app.command("show")
def keys_show(pem: Annotated[bool, typer.Option(help="Print the public key as PEM.")] = False) -> None:
    """Print the station key's fingerprint (and public key) for publication."""
    from . import keys

    try:
        key = keys.load()
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    if key is None:
        typer.echo("no station key: seals and logs are unsigned (run `redact keys init`)", err=True)
        raise typer.Exit(1)
    typer.echo(f"fingerprint: {key.fingerprint}")
    if pem:
        typer.echo(keys.public_pem(key.public).decode().strip())


@app.command()
def verify(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or folder trees of originals/derivatives.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON report instead of a table.")] = False,
    trust: Annotated[
        list[Path] | None, typer.Option(help="Public key (PEM) whose signatures alone are accepted; repeatable.")
    ] = None,
    require_signed: Annotated[bool, typer.Option(help="Treat unsigned seals, logs and entries as failures.")] = False,
) -> None:
    """Check originals against seals, derivatives against logs, and the custody chain."""
    from .keys import fingerprint
    from .verify import as_json, verify_paths

    trusted = None
    if trust:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        trusted = {fingerprint(load_pem_public_key(p.read_bytes())) for p in trust}
    findings = verify_paths(paths, trusted)
    if require_signed:
        findings = [f if f.status != "warn" else type(f)("fail", f.kind, f.path, f.detail, f.signer) for f in findings]
    if json_out:
        typer.echo(as_json(findings))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="redact verify")
        for column in ("result", "kind", "file", "detail", "signer"):
            table.add_column(column, overflow="fold")
        style = {"ok": "[green]OK[/]", "warn": "[yellow]WARN[/]", "fail": "[red]FAIL[/]"}
        for f in findings:
            table.add_row(style[f.status], f.kind, f.path, f.detail, f.signer or "")
        Console().print(table)
    raise typer.Exit(1 if any(f.status == "fail" for f in findings) else 0)


@app.command()
def report(
    paths: Annotated[list[Path], typer.Argument(help="Derivatives (NAME.redacted.mp4) or folders of them.")],
    reviewer: Annotated[str, typer.Option(help="Who reviewed the derivative (named in the report).")],
) -> None:
    """Write NAME.redaction-report.html for each derivative and log it as exported."""
    from .court import write_reports

    try:
        written = write_reports(paths, reviewer)
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    for path in written:
        typer.echo(f"OK: {path}")


@app.command()
def snapshot(
    derivative: Annotated[Path, typer.Argument(help="A derivative (NAME.redacted.mp4).")],
    at: Annotated[str, typer.Option(help="When, as a player counts: 12.5, 1:02.5 or 0:01:02.5.")],
    out: Annotated[
        Path | None, typer.Option(help="PNG to write (default: NAME.redacted.at-SECONDSs.png beside it).")
    ] = None,
    grid: Annotated[int, typer.Option(help="Draw a labelled pixel grid every N pixels (0: none).")] = 0,
) -> None:
    """Write the frame a player shows at --at as PNG, to read --add-regions boxes off it."""
    from .snapshot import write_snapshot

    try:
        written = write_snapshot(derivative, parse_time(at), out, grid)
    except ValueError as exc:
        typer.echo(f"redact: error: --at: {exc}", err=True)
        raise typer.Exit(2) from exc
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    typer.echo(f"OK: {written}")


@app.command()
def bench(
    file: Annotated[Path | None, typer.Argument(help="Clip to measure (default: the bundled sample).")] = None,
    preset: Annotated[str, typer.Option(help=PRESET_HELP)] = DEFAULT_PRESET,
    kinds: Annotated[str | None, typer.Option(help="What to detect: face, plate or face,plate.")] = None,
    workers: Annotated[
        str | None,
        typer.Option(help=WORKERS_HELP + " A list (1,2,4,8) measures each count, to find this station's best."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    png: Annotated[Path | None, typer.Option(help="Also write a bar chart of ms per frame (needs matplotlib).")] = None,
) -> None:
    """Measure redaction speed on this machine (the original is never touched: a copy is used)."""
    from .bench import chart, run_bench

    kinds_given = parse_kinds(kinds) if kinds is not None else None
    counts = parse_worker_counts(workers)
    runs = [options_or_exit(preset, {"detect": {"kinds": kinds_given}}, quiet=True, workers=n) for n in counts]
    try:
        results = [run_bench(file, options) for options in runs]
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    result = max(results, key=lambda r: r["redact_fps"])  # the one charted by --png
    if len(results) > 1:
        print_worker_sweep(results, result, json_out)
    elif json_out:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(f"{result['cpu']}, {result['cores']} cores; clip {result['size']}, {result['frames']} frames")
        typer.echo(f"preset {result['preset']}, {result['workers']} worker(s)")
        typer.echo(f"pure transcode: {result['transcode_fps']} fps; redact: {result['redact_fps']} fps")
        typer.echo(f"real-time factor {result['realtime_factor']}x; {result['ratio_to_transcode']}x the transcode time")
        typer.echo("ms per frame: " + ", ".join(f"{k} {v}" for k, v in result["ms_per_frame"].items()))
        typer.echo(
            f"peak memory {result['peak_memory_mb']} MB (whole process tree, shared pages counted once;"
            f" {result['peak_rss_sum_mb']} MB summing each process's resident memory)"
        )
    if png is not None and not chart(result, png):
        typer.echo("matplotlib not installed (pip install -e '.[bench]'): no chart written", err=True)


def parse_worker_counts(text: str | None) -> list[int | None]:
    """``--workers`` of ``redact bench``: one count, a comma list, or None (every core)."""
    if text is None:
        return [None]
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts:
        typer.echo(f"redact: error: --workers takes a number or a list such as 1,2,4 (got {text!r})", err=True)
        raise typer.Exit(2)
    return counts


def print_worker_sweep(results: list[dict], best: dict, json_out: bool) -> None:
    """One line per worker count, and the fastest (``best``), for IT staff sizing a station."""
    if json_out:
        typer.echo(json.dumps({"runs": results, "best_workers": best["workers"]}, indent=2))
        return
    first = results[0]
    typer.echo(f"{first['cpu']}, {first['cores']} cores; clip {first['size']}, {first['frames']} frames")
    typer.echo(f"preset {first['preset']}; pure transcode: {first['transcode_fps']} fps")
    typer.echo("workers  redact fps  real time  x transcode  peak MB")
    for r in results:
        typer.echo(
            f"{r['workers']:>7}  {r['redact_fps']:>10}  {r['realtime_factor']:>8}x  {r['ratio_to_transcode']:>10}x"
            f"  {r['peak_memory_mb']:>7.0f}"
        )
    typer.echo(f"fastest: {best['workers']} worker(s), {best['redact_fps']} fps")


@app.command()
def batch(
    source: Annotated[
        Path, typer.Argument(help="Folder of clips (searched recursively) or a CSV / JSON-lines manifest.")
    ],
    preset: Annotated[str | None, typer.Option(help="Preset for clips whose manifest row names none.")] = None,
    workers: Annotated[int | None, typer.Option(help="Detection workers per clip (default: cores / parallel).")] = None,
    parallel: Annotated[int, typer.Option(min=1, help="Clips at a time on this machine (Dask LocalCluster).")] = 1,
    cluster: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tls://host:8786.")] = None,
    cluster_certs: Annotated[
        Path | None, typer.Option(help="Folder made by `redact cluster-certs`: this PC's member certificate.")
    ] = None,
    insecure_cluster: Annotated[
        bool, typer.Option(help="Allow a plain tcp:// scheduler on another PC (anyone reaching it can run code).")
    ] = False,
    mute: Annotated[bool, typer.Option(help="Leave audio out of every derivative.")] = False,
    operator: Annotated[str | None, typer.Option(help="Name recorded in seals and logs (default: OS user).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    stall_timeout: Annotated[
        float,
        typer.Option(
            min=0,
            help="Stop and fail a clip that writes no frame and reads or writes no data for this many seconds"
            " (a hung decoder or storage); 0: wait forever.",
        ),
    ] = STALL_S,
) -> None:
    """Redact every clip of SOURCE; rerun to resume. Writes batch-report.json/.html beside it."""
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
    )
    try:
        result = run_batch(source, settings)
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("redact: batch interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"redact batch: {source}")
    for column in ("clips", "already done", "redacted now", "failed"):
        table.add_column(column, justify="right")
    table.add_row(str(result.total), str(result.skipped), str(result.done), str(result.failed))
    console = Console(stderr=True)
    console.print(table)
    for _, error in result.failures:
        console.print(f"[red]FAILED[/] {error}", highlight=False)
    typer.echo(f"state: {result.state}")
    for report in result.reports:
        typer.echo(f"report: {report}")
    raise typer.Exit(result.exit_code)


@app.command("cluster-certs")
def cluster_certs_command(
    folder: Annotated[Path, typer.Argument(help="Empty folder for the certificates and keys.")],
) -> None:
    """Make a cluster CA and a member certificate for batches across station PCs (Dask over TLS)."""
    from .batch.cluster_tls import CA_KEY, make_certificates

    try:
        paths = make_certificates(folder)
    except RedactError as error:
        fail(error)
        raise typer.Exit(error.exit_code) from None
    for path in paths.values():
        typer.echo(str(path))
    typer.echo(
        f"Copy all but {CA_KEY} to every station PC of the cluster (keep the member key readable by the"
        f" batch's user only), then keep {CA_KEY} offline: it can admit new members.",
        err=True,
    )


@app.command()
def presets() -> None:
    """List the pipeline presets (pipelines/*.toml) with what each one trades."""
    from .presets import available, describe

    for name, path in available().items():
        default = " (default)" if name == DEFAULT_PRESET else ""
        typer.echo(f"{name}{default}: {describe(name)}\n    {path}")


def main() -> None:
    app()
