"""A kept subject keeps all its tracks, and only them: the clerk keeps a person, not a fragment."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
from checks import face_rects
from clips import SAMPLE, decoded_rgb, sample_truth

from redact.evidence.layout import Layout
from redact.evidence.log_reader import LogReader
from redact.options import RedactOptions
from redact.pipeline import log_path, read_analysis, render_file


def test_keeping_one_track_of_a_person_keeps_that_person_and_nobody_else(sample_redacted, tmp_path):
    case = tmp_path / "case"
    shutil.copytree(sample_redacted.parent, case)
    clip = case / SAMPLE.name
    layout = Layout(clip)
    analysis = read_analysis(layout.analysis, clip, json.loads(layout.seal.read_text())["sha256"])
    subjects, recorded = analysis.subjects()
    assert recorded
    people = [s for s in subjects if s.kind == "face" and s.confident]
    assert len(people) == 2  # the sample's two faces, each several tracks (models, turned copies)
    person, other = sorted(people, key=lambda s: -len(s.tracks))
    assert len(person.tracks) >= 2
    asked = person.tracks[-1]  # a fragment of the person, not the subject's own id

    result = render_file(
        clip, dataclasses.replace(RedactOptions(quiet=True), keep_tracks=(asked,), reason="subject", force=True)
    )
    log = json.loads(log_path(clip).read_text())
    assert result.derivative.exists()
    assert set(log["derivative"]["kept_tracks"]) == {str(asked)}
    assert set(log["derivative"]["kept_with"]) == {str(t) for t in person.tracks if t != asked}
    assert all(w["track"] == asked for w in log["derivative"]["kept_with"].values())
    masked = {e[7] for _, _, entries in log["regions"]["frames"] for e in entries}
    assert not masked & set(person.tracks)  # none of the person's tracks masked anywhere
    assert set(other.tracks) <= masked  # the other person's tracks all still masked
    assert {s["id"] for s in log["subjects"]["list"]} == {s.id for s in subjects}
    # how each track looked (for linking) stays in the analysis: the log handed over leaves it out
    analysed = list(LogReader(layout.analysis, digest=False).items(("tracks",)))
    assert all(len(t["look"]["first"]) == len(t["look"]["last"]) == 44 for t in analysed)
    assert not any("look" in t for t in log["tracks"])
    assert [{k: v for k, v in t.items() if k != "look"} for t in analysed] == log["tracks"]

    # in the picture: the kept person as recorded, the other one masked, in every frame
    before, after = decoded_rgb(clip), decoded_rgb(result.derivative)
    plain = json.loads(log_path(sample_redacted).read_text())
    kept_rects = [face_rects(plain, t) for t in person.tracks]
    truth = sample_truth()["frames"]
    for i in (0, 30, 60, 89):
        faces = np.round(np.array(truth[i]["faces"])).astype(int)
        diffs = []
        for x0, y0, x1, y1 in faces:
            diffs.append(np.abs(before[i][y0:y1, x0:x1].astype(float) - after[i][y0:y1, x0:x1]).mean())
        kept_face = min(range(2), key=lambda k: diffs[k])
        assert diffs[kept_face] < 4 < diffs[1 - kept_face], (i, diffs)
        assert any(i in rects for rects in kept_rects) or i > 85  # the kept face was tracked there


def test_an_analysis_with_settings_this_release_does_not_know_is_refused_with_a_clear_error(tmp_path):
    """A station that went back a release meets an analysis made with a setting it lacks: the page
    and the render say so (exit 2) instead of failing with a TypeError."""
    import pytest

    from redact.errors import BadInputError
    from redact.pipeline.analysis_file import Analysis
    from redact.pipeline.render import analysed_options

    head = {"parameters": {"detect": {"every": 2}, "track": {"coast": 15, "shot_cuts": True}}}
    analysis = Analysis(tmp_path / "clip.mp4.analysis.json", head, "0" * 64, None)
    with pytest.raises(BadInputError, match="settings this release of redact does not know") as caught:
        analysed_options(RedactOptions(), analysis)
    assert caught.value.exit_code == 2 and "analyze --force" in str(caught.value.hint)
