"""The page's pictures are the clip's: any frame in any order decodes to what a sequential
decode gives (open GOPs, MPEG-TS), a rotated clip is shown upright with its boxes on the faces
and masked exactly as its derivative."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import av
import numpy as np
import pytest
from clips import decoded_rgb, sample_frames, write_clip

from redact.options import DetectOptions, RedactOptions
from redact.pipeline import analyze_file, render_file
from redact.review.page.session import ClipSession

# upright faces only: what is tested here is not what turned copies add (tests/detect/test_turned.py)
FACES = RedactOptions(detect=DetectOptions(kinds=("face",), turned_faces=False), quiet=True, workers=0)
OPEN_GOP = {"x264-params": "keyint=10:min-keyint=10:scenecut=0:bframes=3:open-gop=1"}


@pytest.mark.parametrize(
    "name, x264",
    [
        ("open_gop.mp4", OPEN_GOP),
        ("open_gop.ts", OPEN_GOP),
        ("closed_gop.ts", {"x264-params": "keyint=10:min-keyint=10:scenecut=0:bframes=2"}),
    ],
)
def test_any_frame_in_any_order_is_the_frame_a_sequential_decode_gives(tmp_path, name, x264):
    clip = write_clip(tmp_path / name, count=60, size=(160, 120), x264=x264)
    analyze_file(clip, FACES)
    session = ClipSession(clip, RedactOptions(quiet=True), "DC 1 Test")
    try:
        with av.open(str(clip)) as container:  # as decoded, before any colour conversion
            sequential = [frame.to_ndarray() for frame in container.decode(video=0)]
        assert len(session.stamps) == len(sequential) == 60
        order = [*np.random.default_rng(7).permutation(60).tolist(), 9, 10, 11, 19, 18, 59, 0, 1, 2]
        for n in order:
            assert np.array_equal(session.source.i420(n), sequential[n]), n
    finally:
        session.close()


def test_a_rotated_clip_is_shown_upright_with_its_boxes_on_the_faces_masked_as_its_derivative(tmp_path):
    upright = sample_frames(8, size=(640, 360))
    stored = [np.ascontiguousarray(np.rot90(rgb, -1)) for rgb in upright]  # a phone held sideways
    clip = write_clip(tmp_path / "phone.mp4", stored, rotation=90, time_base=Fraction(1, 25))
    analyze_file(clip, FACES)
    added = ((0.0, 0.2, 20.0, 250.0, 120.0, 340.0),)  # shown pixels, as the page draws it
    session = ClipSession(clip, RedactOptions(quiet=True), "DC 1 Test")
    try:
        assert (session.summary()["width"], session.summary()["height"]) == (640, 360)  # as a player shows it
        session.save({"add_regions": [{"keys": [list(k) for k in added], "reason": "a tattoo"}]})
        options = dataclasses.replace(FACES, force=True)
        derivative = render_file(clip, options).derivative
        rendered = [np.rot90(rgb, 1) for rgb in decoded_rgb(derivative)]  # upright, as a player shows it
        for n in (0, 3):
            page = session.picture(n)
            assert page.shape == (360, 640, 3)
            assert np.abs(page.astype(float) - rendered[n]).mean() < 3  # what the page shows is what renders
            faces = [r["box"] for r in session.frame_regions(n)]
            assert len(faces) == 2
            for x0, y0, x1, y1 in (tuple(round(v) for v in box) for box in faces):
                face = upright[n][y0:y1, x0:x1].astype(float)
                assert np.abs(face - page[y0:y1, x0:x1]).mean() > 8  # the box is on a face, and it is masked
            assert page[260:330, 30:110].std() < 0.5 * upright[n][260:330, 30:110].std() + 1  # the added region
    finally:
        session.close()
