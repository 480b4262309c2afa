"""The review page's HTTP API (Starlette): clips, frames, tracks, decisions, audio, render.

Every route names a clip by its path relative to the folder under review; a name that is not
one of the folder's clips is not found, so no request reaches a file outside it. Pictures are
decoded and masked by the server (``session.py``); the page (``static/``) draws the boxes.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import cv2
import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ... import i18n
from ...errors import RedactError, translated
from ...evidence.custody import custody_path
from ...evidence.layout import Layout, report_for_derivative
from ...i18n import N_, _
from ...options import RedactOptions
from ...speech.withhold import parse_word_list
from .audio import decode_mono, peaks, redacted, wav_bytes
from .follow import follow, followed_keys, frame_order, pictures_of
from .render_job import RenderJob
from .session import ClipSession
from .spoken import SpokenWords, TranscribingAlready

STATIC = Path(__file__).resolve().parent / "static"
PAGE_LOCALE = STATIC / "locale"  # the page's catalogs: <language>.json, English message -> translation
FOLLOW_MOST = 600  # frames one follow request may cover (20 s at 30 fps)


class Review:
    """The clips of one folder (or one clip) and their open sessions."""

    def __init__(self, clips: list[Path], root: Path, options: RedactOptions, reviewer: str, case_dir: Path | None):
        self.root, self.options, self.reviewer, self.case_dir = root, options, reviewer, case_dir
        self.clips = {path.relative_to(root).as_posix(): path for path in clips}
        self.sessions: dict[str, ClipSession] = {}
        self.renders: dict[str, RenderJob] = {}
        self.audio: dict[str, np.ndarray] = {}
        self.spoken: dict[str, SpokenWords] = {}
        self.verified: dict[str, tuple[tuple, bool]] = {}  # clip -> (derivative's stat, verify passed)
        # one lock per clip: opening a clip hashes the whole original, which must not hold up
        # the pages of the others
        self.locks = {name: threading.Lock() for name in self.clips}

    def path(self, name: str) -> Path:
        try:
            return self.clips[name]
        except KeyError:
            raise HTTPException(404, _("no clip {name!r} in this review").format(name=name)) from None

    def session(self, name: str) -> ClipSession:
        path = self.path(name)
        with self.locks[name]:
            if name not in self.sessions:
                self.sessions[name] = ClipSession(path, self.options, self.reviewer, self.case_dir)
            return self.sessions[name]

    def render_job(self, name: str) -> RenderJob:
        session = self.session(name)
        with self.locks[name]:
            if name not in self.renders:
                self.renders[name] = RenderJob(session.original, self.options, session.reviewer, self.case_dir)
            return self.renders[name]

    def spoken_words(self, name: str) -> SpokenWords:
        session = self.session(name)
        with self.locks[name]:
            if name not in self.spoken:
                self.spoken[name] = SpokenWords(session)
            return self.spoken[name]

    def samples(self, name: str) -> np.ndarray:
        session = self.session(name)  # verified before anything of it is served
        with self.locks[name]:
            if name not in self.audio:
                self.audio[name] = decode_mono(session.original, session.info.start_s)
            return self.audio[name]

    def state(self, name: str) -> dict:
        layout = Layout(self.path(name), self.case_dir)
        return {
            "name": name,
            "analysed": layout.analysis.exists(),
            "reviewed": layout.decisions.exists(),
            "rendered": layout.derivative.exists(),
            "verified": self.verified_derivative(name, layout),
        }

    def verified_derivative(self, name: str, layout: Layout) -> bool:
        """Whether the derivative passes `redact verify` (its log, seal, hashes and signatures);
        checked again only when the derivative changes."""
        from ...evidence.verify import verify_paths

        try:  # the derivative, its log and the custody log: any change to one is checked again
            key = tuple(
                (s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)
                for s in (layout.derivative.stat(), layout.log.stat(), custody_path(layout.log.parent).stat())
            )
        except OSError:
            return False
        known = self.verified.get(name)
        if known is None or known[0] != key:
            try:
                passed = all(f.status != "fail" for f in verify_paths([layout.derivative], case_dir=self.case_dir))
            except (OSError, ValueError, RedactError):
                passed = False
            self.verified[name] = known = (key, passed)
        return known[1]

    def close(self, waiting=None) -> None:
        for name, job in self.renders.items():
            if job.status()["state"] == "running" and waiting is not None:
                waiting(name)
            job.wait()
        for session in self.sessions.values():
            session.close()


def build_app(review: Review) -> Starlette:
    def clip(request: Request) -> str:
        return request.path_params["clip"]

    def frame_index(request: Request) -> int:
        return request.path_params["n"]

    def original_view(request: Request) -> bool:
        view = request.query_params.get("view", "masked")
        if view not in ("masked", "original"):
            raise HTTPException(400, _("view is masked or original"))
        return view == "original"

    def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    def interface_language(request: Request) -> Response:
        """The language the page speaks (the server's: `--lang`, REDACT_LANG, the locale) and its
        messages; English needs none, the page is written in it."""
        language = i18n.current()
        catalog = PAGE_LOCALE / f"{language}.json"
        messages = {} if language == i18n.DEFAULT or not catalog.exists() else json.loads(catalog.read_text("utf-8"))
        return JSONResponse({"language": language, "messages": messages})

    def clips(request: Request) -> Response:
        return JSONResponse([review.state(name) for name in review.clips])

    def info(request: Request) -> Response:
        session = review.session(clip(request))
        return JSONResponse({**session.summary(), "rendered": review.state(clip(request))["rendered"]})

    def frame(request: Request) -> Response:
        data = review.session(clip(request)).frame_jpeg(frame_index(request), original_view(request))
        return Response(data, media_type="image/jpeg")

    def regions(request: Request) -> Response:
        session, n = review.session(clip(request)), frame_index(request)
        regions = session.frame_regions(n)
        return JSONResponse({"frame": n, "time": session.times[n], "regions": regions})

    def thumb(request: Request) -> Response:
        session = review.session(clip(request))
        data = session.thumbnail_jpeg(request.path_params["track"], original_view(request))
        return Response(data, media_type="image/jpeg")

    async def decisions(request: Request) -> Response:
        session = review.session(clip(request))
        if request.method == "GET":
            return JSONResponse(session.decisions_json())
        body = await _json(request)
        try:
            saved = await _in_thread(session.save, body)
        except ValueError as error:
            return JSONResponse({"error": translated(error)}, status_code=400)
        return JSONResponse({**saved, "version": session.version})

    async def view_original(request: Request) -> Response:
        body = await _json(request)
        on = await _in_thread(review.session(clip(request)).show_original, bool(body.get("on")))
        return JSONResponse({"view_original": on})

    async def follow_box(request: Request) -> Response:
        session = review.session(clip(request))
        body = await _json(request)
        try:
            start, box = int(body["frame"]), [float(v) for v in body["box"]]
            if not all(math.isfinite(v) for v in box):
                raise ValueError(N_("the box's corners must be numbers"))
            count = min(int(body.get("frames", 150)), FOLLOW_MOST)
            order = frame_order(start, str(body.get("direction", "forward")), count, len(session.stamps))
            if len(box) != 4 or not order:
                raise ValueError(N_("give a frame of the clip and a box x0, y0, x1, y1"))

            def run():
                found, stopped = follow(pictures_of(order, session.unmasked_picture), tuple(box))
                return followed_keys(order, found, tuple(box), session.times), stopped

            keys, stopped = await _in_thread(run)
        except (KeyError, TypeError, ValueError, OverflowError, cv2.error) as error:
            return JSONResponse({"error": _("cannot follow: {error}").format(error=translated(error))}, status_code=400)
        return JSONResponse({"keys": keys, "stopped": stopped})

    def waveform(request: Request) -> Response:
        try:
            bins = max(1, min(int(request.query_params.get("bins", 800)), 10000))
        except ValueError:
            raise HTTPException(400, _("bins is a whole number")) from None
        session = review.session(clip(request))
        samples = review.samples(clip(request))
        return JSONResponse({"duration_s": session.duration_s, "peaks": peaks(samples, bins)})

    def audio_wav(request: Request) -> Response:
        """The sound as the render will make it (the saved ranges muted or bleeped), or as
        recorded once the reviewer has switched the original on."""
        session = review.session(clip(request))
        samples = review.samples(clip(request))
        if original_view(request):
            session.check_original()
        else:
            samples = redacted(samples, session.decisions.audio_ranges)
        return Response(wav_bytes(samples), media_type="audio/wav")

    async def transcript(request: Request) -> Response:
        """The words said (GET), or transcribe the clip now (POST; needs redact[speech])."""
        words = await _in_thread(review.spoken_words, clip(request))  # opening a clip hashes it: off the loop
        if request.method == "POST":
            body = await _json(request) if await request.body() else {}
            try:
                hints = parse_word_list(str(body.get("hints") or ""))  # names from the case: heard right more often
                language = str(body.get("language") or "") or None
                return JSONResponse(await _in_thread(words.make, hints, language))
            except ValueError as error:
                return JSONResponse({"error": translated(error)}, status_code=400)
            except TranscribingAlready as busy:
                return JSONResponse({"error": translated(busy)}, status_code=409)
        return JSONResponse(await _in_thread(words.as_json))

    async def spoken(request: Request) -> Response:
        """The ranges where a word or phrase (``words``) or a pattern (``patterns``) is said."""
        body = await _json(request)
        words = await _in_thread(review.spoken_words, clip(request))
        try:
            patterns = body.get("patterns") or []
            if not isinstance(patterns, list):
                raise ValueError(N_("patterns is a list of names"))
            ranges = await _in_thread(words.ranges, str(body.get("words") or ""), [str(p) for p in patterns])
        except ValueError as error:
            return JSONResponse({"error": translated(error)}, status_code=400)
        return JSONResponse({"ranges": ranges})

    def render(request: Request) -> Response:
        name = clip(request)
        session = review.session(name)
        job = review.render_job(name)
        if request.method == "POST":
            if not job.start(len(session.stamps)):
                return JSONResponse({"error": _("a render of this clip is already running")}, status_code=409)
        status = job.status()
        layout = session.layout
        report_file = layout.derivative.parent / report_for_derivative(layout.derivative.name)
        # a derivative made earlier (before this page opened) is offered too, unless one is being made,
        # and only one that verifies: a file put in its place (the original itself) is never played
        offered = (
            status["state"] != "running" and layout.derivative.exists() and review.verified_derivative(name, layout)
        )
        return JSONResponse(
            {
                **status,
                "derivative": request.url_for("derivative", clip=name).path if offered else None,
                "report": request.url_for("report", clip=name).path if offered and report_file.exists() else None,
            }
        )

    def derivative(request: Request) -> Response:
        name = clip(request)
        layout = Layout(review.path(name), review.case_dir)
        path = layout.derivative
        if not path.exists():
            raise HTTPException(404, _("not rendered yet"))
        if not review.verified_derivative(name, layout):  # a plain route: Starlette runs it off the loop
            raise HTTPException(409, _("the derivative does not verify (run `redact verify`): it is not served"))
        return FileResponse(path, media_type="video/mp4")

    def report(request: Request) -> Response:
        path = Layout(review.path(clip(request)), review.case_dir).derivative
        page = path.parent / report_for_derivative(path.name)
        if not page.exists():
            raise HTTPException(404, _("no court report yet: render first"))
        return FileResponse(page, media_type="text/html")

    api = "/api/clips/{clip:path}"
    routes = [
        Route("/", index),
        Route("/api/i18n", interface_language),
        Route("/api/clips", clips),
        Route(api + "/info", info),
        Route(api + "/frame/{n:int}.jpg", frame),
        Route(api + "/regions/{n:int}", regions),
        Route(api + "/thumb/{track:int}.jpg", thumb),
        Route(api + "/decisions", decisions, methods=["GET", "PUT"]),
        Route(api + "/view-original", view_original, methods=["POST"]),
        Route(api + "/follow", follow_box, methods=["POST"]),
        Route(api + "/waveform", waveform),
        Route(api + "/audio.wav", audio_wav),
        Route(api + "/transcript", transcript, methods=["GET", "POST"]),
        Route(api + "/spoken", spoken, methods=["POST"]),
        Route(api + "/render", render, methods=["GET", "POST"]),
        Route(api + "/derivative.mp4", derivative, name="derivative"),
        Route(api + "/report", report, name="report"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {
        HTTPException: _http_error,
        RedactError: _redact_error,
        PermissionError: _permission_error,
        Exception: _internal_error,
    }
    return Starlette(routes=routes, exception_handlers=handlers)


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, _("the request body is not JSON")) from None
    if not isinstance(body, dict):
        raise HTTPException(400, _("the request body is a JSON object"))
    return body


async def _in_thread(function, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *args)


async def _http_error(request: Request, error: HTTPException) -> Response:
    return JSONResponse({"error": error.detail}, status_code=error.status_code)


async def _redact_error(request: Request, error: RedactError) -> Response:
    # a refused original (changed since sealing) or analysis is a conflict the clerk must see
    status = 409 if error.exit_code == 3 else 404 if "no frame" in error.message else 400
    return JSONResponse({"error": error.describe(), "exit_code": error.exit_code}, status_code=status)


async def _permission_error(request: Request, error: PermissionError) -> Response:
    return JSONResponse({"error": translated(error)}, status_code=403)


async def _internal_error(request: Request, error: Exception) -> Response:
    # the page shows it in its status line; the server goes on serving
    return JSONResponse({"error": f"internal error: {type(error).__name__}: {error}"}, status_code=500)
